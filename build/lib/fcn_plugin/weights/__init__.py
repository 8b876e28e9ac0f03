"""Reading and writing real checkpoints: ImageNet init, reference conversion,
and mmengine checkpoint loading that never runs pickled code."""
from . import local_loader, remote_loader, restricted_unpickler  # noqa: F401
from .convert_fcn import convert_fcn_state_dict
from .imagenet_init import ImageNetPretrainedInit, load_resnet_state_dict
from .io import load_checkpoint_file, state_dict_mismatch

__all__ = [
    'ImageNetPretrainedInit', 'convert_fcn_state_dict',
    'load_checkpoint_file', 'load_resnet_state_dict', 'state_dict_mismatch'
]
