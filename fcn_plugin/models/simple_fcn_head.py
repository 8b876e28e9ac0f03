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

Its training loss is mmseg's, computed without a wait of the host for the
GPU: mmseg counts the non-ignored pixels of the mean (``avg_non_ignore``,
the reference's mean) with ``.item()`` and its ``acc_seg`` indexes with a
boolean mask; here the count stays a device tensor and the accuracy is a
masked sum (the same formulas, eps included).
"""
import torch
import torch.nn as nn
from mmseg.models.decode_heads import FCNHead
from mmseg.models.losses import CrossEntropyLoss
from mmseg.models.utils import resize
from mmseg.registry import MODELS

EPS = torch.finfo(torch.float32).eps  # mmseg's, in the loss and accuracy


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

    def loss_by_feat(self, seg_logits, batch_data_samples):
        """mmseg's ``BaseDecodeHead.loss_by_feat`` (logits upsampled to the
        label, each ``loss_decode`` summed under its name, ``acc_seg``),
        with no host-device synchronization (module docstring)."""
        seg_label = self._stack_batch_gt(batch_data_samples)
        seg_logits = resize(input=seg_logits, size=seg_label.shape[2:],
                            mode='bilinear', align_corners=self.align_corners)
        seg_weight = None if self.sampler is None else self.sampler.sample(
            seg_logits, seg_label)
        seg_label = seg_label.squeeze(1)
        valid = seg_label != self.ignore_index
        count = valid.sum()  # mmseg: numel - (label == ignore).sum().item()
        losses = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        loss = dict()
        for loss_decode in losses:
            counted = isinstance(loss_decode, CrossEntropyLoss) and \
                loss_decode.avg_non_ignore and not loss_decode.use_sigmoid \
                and not loss_decode.use_mask and seg_weight is None
            value = loss_decode(seg_logits, seg_label, weight=seg_weight,
                                ignore_index=self.ignore_index,
                                avg_factor=count if counted else None)
            name = loss_decode.loss_name
            loss[name] = loss[name] + value if name in loss else value
        correct = (seg_logits.argmax(dim=1) == seg_label) & valid
        loss['acc_seg'] = (correct.sum().float().reshape(1) + EPS) * (
            100.0 / (count + EPS))
        return loss
