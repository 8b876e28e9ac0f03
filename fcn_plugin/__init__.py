"""fcn_plugin: the pytorch-auto-drive FCN baseline for MMSegmentation 1.x.

Importing the package registers everything into the mmseg/mmengine
registries (configs do it through ``custom_imports``), reads checkpoints
through a loader that never runs pickled code, and lets mmseg import on
mmcv-lite (``mmcv_ext_fallback``; import ``fcn_plugin`` before mmseg's models)
and makes the row configs ``fcn_plugin::`` references (``mim_configs``).
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

from .import_noise import without_import_noise  # noqa: E402

with without_import_noise():  # the onedl fork's 'Could not import OneDL'
    from . import datasets, engine, models, weights  # noqa: F401 (registers)
from .errors import UserInputError  # noqa: E402
from . import registry  # noqa: E402 (the fcn_plugin:: scope)
from .mim_configs import config_file, register_scope  # noqa: E402

register_scope()  # _base_ = ['fcn_plugin::fcn/fcn_r101_voc_321.py']
registry.default_to_mmseg_scope()  # as mmseg's register_all_modules()

__version__ = '0.1.0'
__all__ = ['UserInputError', 'config_file', '__version__']
