"""ImageNet initialisation of the ResNet backbone from a local checkpoint file.

The reference starts from torchvision's ``resnet101-5d3b4d8f.pth``. This
initializer also accepts an mmpretrain ResNet-101 checkpoint; the format is
recognised from the keys, so one config value picks the file::

    backbone=dict(..., init_cfg=dict(type='ImageNetPretrained',
                                     checkpoint='checkpoints/resnet101-5d3b4d8f.pth'))

Training from scratch is explicit: ``--cfg-options model.backbone.init_cfg=None``.
A missing file, missing keys or wrong shapes stop with a message, never
silently leaving random weights.
"""

from mmengine.logging import print_log
from mmengine.registry import WEIGHT_INITIALIZERS

from ..errors import UserInputError
from .io import load_checkpoint_file, require_file, state_dict_mismatch

TORCHVISION_URL = 'https://download.pytorch.org/models/resnet101-5d3b4d8f.pth'
MISSING_HINT = (
    f"Download torchvision's ResNet-101 ({TORCHVISION_URL}) to that path, "
    'point model.backbone.init_cfg.checkpoint at a torchvision or '
    'mmpretrain ResNet checkpoint, or train from scratch on purpose with '
    '--cfg-options model.backbone.init_cfg=None')


def check_init_file(cfg):
    """Before anything is built: the backbone's ImageNet file exists (a
    missing one would otherwise stop training only after the data loaders
    and their workers started)."""
    init_cfg = cfg.get('model', {}).get('backbone', {}).get('init_cfg')
    if isinstance(init_cfg, dict) and init_cfg.get('type') == \
            'ImageNetPretrained':
        require_file(str(init_cfg.get('checkpoint', '')),
                     'ImageNet checkpoint', MISSING_HINT)


def _backbone_weights(checkpoint):
    """Return ``(state_dict, format_name)`` holding only backbone keys."""
    state = checkpoint.get('state_dict', checkpoint)
    if any(k.startswith('backbone.') for k in state):  # mmpretrain / mmseg
        return {k[len('backbone.'):]: v
                for k, v in state.items() if k.startswith('backbone.')}, \
            'mmpretrain'
    # torchvision ImageNet classifier: backbone keys at top level + fc.*
    return {k: v for k, v in state.items() if not k.startswith('fc.')}, \
        'torchvision'


def load_resnet_state_dict(module, path):
    """Load ImageNet weights from ``path`` into the ResNet ``module`` strictly."""
    checkpoint = load_checkpoint_file(path, 'ImageNet checkpoint',
                                      MISSING_HINT)
    weights, fmt = _backbone_weights(checkpoint)
    mismatch = state_dict_mismatch(module.state_dict(), weights)
    if mismatch:
        raise UserInputError(
            f'ImageNet checkpoint {path} ({fmt} format) does not fit the '
            f'backbone ({type(module).__name__}): {mismatch}')
    module.load_state_dict(weights, strict=True)
    print_log(f'Loaded ImageNet weights ({fmt} format) from {path}',
              logger='current')


@WEIGHT_INITIALIZERS.register_module(name='ImageNetPretrained')
class ImageNetPretrainedInit:
    """mmengine weight initializer: strict ImageNet load from a local file.

    Args:
        checkpoint (str): torchvision (``resnet101-5d3b4d8f.pth``) or
            mmpretrain ResNet checkpoint path.
    """

    def __init__(self, checkpoint):
        self.checkpoint = checkpoint

    def __call__(self, module):
        load_resnet_state_dict(module, self.checkpoint)

    def _get_init_info(self):
        return f'{self.__class__.__name__}: load from {self.checkpoint}'
