"""torchvision's ``FCNHead`` ("simple segmentation head") as an mmseg decode head.

Reproduces ``torchvision.models.segmentation.fcn.FCNHead`` as used by
pytorch-auto-drive's FCN baseline::

    Conv3x3(in -> channels, no bias) -> BN -> ReLU -> Dropout(p) -> Conv1x1(-> classes)

It reuses mmseg's :class:`~mmseg.models.decode_heads.FCNHead` (one conv, no
input concat) and changes two things mmseg does differently:

* the dropout is element-wise ``nn.Dropout`` (mmseg's ``BaseDecodeHead`` uses
  channel-wise ``nn.Dropout2d``);
* weights start from PyTorch's default init, like torchvision's head (mmseg
  would use Kaiming-normal for the conv and N(0, 0.01) for the classifier).

Parameter names: ``convs.0.conv`` (3x3 conv), ``convs.0.bn`` (BN) and
``conv_seg`` (1x1 classifier) = torchvision's ``classifier.0/1/4``.
"""
import torch.nn as nn
from mmseg.models.decode_heads import FCNHead
from mmseg.registry import MODELS


@MODELS.register_module()
class SimpleFCNHead(FCNHead):
    """The reference FCN head.

    Input: the last backbone feature ``(N, in_channels, H/8, W/8)``.
    Output of ``forward``: logits ``(N, num_classes, H/8, W/8)``; loss and
    inference upsample them bilinearly (``align_corners=True`` by default, as
    the reference) to the label / padded input size.

    Args:
        in_channels (int): Backbone channels. Default 2048 (ResNet-101 layer4).
        channels (int): Hidden channels. Default 512.
        dropout_ratio (float): Element-wise dropout before the classifier.
        align_corners (bool): Upsampling mode of the logits. Default True.
        **kwargs: Passed to :class:`BaseDecodeHead` (``num_classes``,
            ``norm_cfg``, ``loss_decode``, ...).
    """

    def __init__(self,
                 in_channels=2048,
                 channels=512,
                 dropout_ratio=0.1,
                 align_corners=True,
                 **kwargs):
        super().__init__(
            in_channels=in_channels,
            channels=channels,
            num_convs=1,
            kernel_size=3,
            concat_input=False,
            dropout_ratio=dropout_ratio,
            align_corners=align_corners,
            init_cfg=None,
            **kwargs)
        if dropout_ratio > 0:
            self.dropout = nn.Dropout(dropout_ratio)

    def init_weights(self):
        """PyTorch default init for every layer, as torchvision's FCNHead."""
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.modules.batchnorm._NormBase)):
                module.reset_parameters()
        for module in self.modules():
            module.is_init = True
