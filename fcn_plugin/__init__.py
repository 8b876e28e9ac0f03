"""fcn_plugin: the pytorch-auto-drive FCN baseline for MMSegmentation 1.x.

Importing the package registers everything into the mmseg/mmengine
registries (configs do it through ``custom_imports``) and makes checkpoints
written by mmengine loadable under torch >= 2.6.
"""
from . import datasets, engine, models, weights  # noqa: F401  (registers)
from .errors import UserInputError

__version__ = '0.1.0'
__all__ = ['UserInputError', '__version__']
