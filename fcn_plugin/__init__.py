"""fcn_plugin: the pytorch-auto-drive FCN baseline for MMSegmentation 1.x.

Importing the package registers everything into the mmseg/mmengine
registries (configs do it through ``custom_imports``), makes checkpoints
written by mmengine loadable under torch >= 2.6, and lets mmseg import on
mmcv-lite (``mmcv_ext_fallback``; import ``fcn_plugin`` before mmseg's models).
"""
from . import mmcv_ext_fallback

mmcv_ext_fallback.install()  # before anything below imports mmseg/mmcv.ops

from . import datasets, engine, models, weights  # noqa: E402,F401 (registers)
from .errors import UserInputError  # noqa: E402

__version__ = '0.1.0'
__all__ = ['UserInputError', '__version__']
