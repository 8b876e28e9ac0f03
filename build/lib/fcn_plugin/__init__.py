"""fcn_plugin: the pytorch-auto-drive FCN baseline for MMSegmentation 1.x.

Importing the package registers everything into the mmseg/mmengine
registries (configs do it through ``custom_imports``), reads checkpoints
through a loader that never runs pickled code, and lets mmseg import on
mmcv-lite (``mmcv_ext_fallback``; import ``fcn_plugin`` before mmseg's models).
"""
from .environment import check_environment
from .errors import exit_on_uncaught_user_errors

try:
    check_environment()  # a Python/torch/numpy that cannot work: one line
except ImportError:
    exit_on_uncaught_user_errors()
    raise

from . import mmcv_ext_fallback  # noqa: E402

mmcv_ext_fallback.install()  # before anything below imports mmseg/mmcv.ops

from . import datasets, engine, models, weights  # noqa: E402,F401 (registers)
from .errors import UserInputError  # noqa: E402

__version__ = '0.1.0'
__all__ = ['UserInputError', '__version__']
