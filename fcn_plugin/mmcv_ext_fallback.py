"""Let mmseg 1.2.2 import on mmcv-lite, which has no compiled ``mmcv._ext``.

mmseg 1.2.2 imports ``mmcv.ops`` unconditionally (``mmseg/utils/
mask_classification.py``, ``models/utils/point_sample.py``, ``san_head.py``,
``focal_loss.py``), and every ``mmcv/ops/*.py`` module loads ``mmcv._ext`` at
import time (``mmcv.utils.ext_loader.load_ext``), checking only that each
function name exists. The FCN calls no compiled op, but without ``_ext``
``import mmseg.models`` fails.

:func:`install` appends a finder to the END of ``sys.meta_path``. Python asks
it only when no real ``mmcv/_ext*.so`` was found, so beside full mmcv it is
never consulted and changes nothing. With mmcv-lite it supplies a stand-in
``mmcv._ext`` whose functions raise :class:`MissingCompiledOpError`, naming
the op and how to get full mmcv, when called. Pure-PyTorch ops such as
``mmcv.ops.point_sample`` keep working.

``import fcn_plugin`` calls :func:`install` before anything imports mmseg; our
tools and the configs' ``custom_imports`` import it first. A script that
imports ``mmseg.models`` / ``mmseg.apis`` BEFORE ``fcn_plugin`` gets
``No module named 'mmcv._ext'`` from mmcv: import ``fcn_plugin`` first.
"""
import importlib.abc
import importlib.machinery
import sys
import types

from .errors import UserInputError

EXT_NAME = 'mmcv._ext'
FULL_MMCV_HINT = ('install full mmcv 2.1.0 (compiled ops): `make install '
                  'MMCV=full`, or `pip uninstall mmcv-lite` then `pip install '
                  '--no-build-isolation mmcv==2.1.0` (README, Install)')
# mmcv.ops.info's version queries are not ops: answer them (mmcv's
# collect_env prints them) instead of failing.
_INFO = {'get_compiler_version': 'n/a (mmcv-lite: no compiled ops)',
         'get_compiling_cuda_version': 'n/a (mmcv-lite: no compiled ops)'}


class MissingCompiledOpError(UserInputError, RuntimeError):
    """A compiled mmcv op was called while only mmcv-lite is installed."""


class _LiteExtModule(types.ModuleType):
    """Stand-in for ``mmcv._ext``: any function name exists, none runs."""

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        if name in _INFO:
            return lambda: _INFO[name]

        def missing_op(*args, **kwargs):
            raise MissingCompiledOpError(
                f'mmcv op {name!r} is compiled code, which mmcv-lite does '
                f'not have: {FULL_MMCV_HINT}.')

        missing_op.__name__ = missing_op.__qualname__ = name
        return missing_op


class _LiteExtLoader(importlib.abc.Loader):

    def create_module(self, spec):
        return _LiteExtModule(spec.name, __doc__)

    def exec_module(self, module):
        pass


class LiteExtFinder(importlib.abc.MetaPathFinder):
    """Meta-path finder that supplies ``mmcv._ext`` when none is installed."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != EXT_NAME:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _LiteExtLoader(), origin='fcn_plugin.mmcv_ext_fallback')


def install():
    """Add the finder (once, at the end). That some mmcv is installed at all
    is checked before, with the rest of the stack
    (:func:`fcn_plugin.environment.check_environment`)."""
    if not any(isinstance(f, LiteExtFinder) for f in sys.meta_path):
        sys.meta_path.append(LiteExtFinder())


def describe_mmcv():
    """``'full mmcv 2.1.0 (compiled ops)'``, ``'mmcv-lite 2.1.0 (no compiled
    ops; ...)'``, ``'onedl-mmcv 2.3.6 (...)'``: the installed distribution."""
    from importlib import metadata

    import mmcv
    import mmcv._ext as ext
    names = [name for name in ('mmcv', 'mmcv-lite', 'onedl-mmcv')
             if _installed(metadata, name)]
    name = names[0] if names else 'mmcv'
    if isinstance(ext, _LiteExtModule):
        return (f'{name} {mmcv.__version__} (no compiled ops; the FCN '
                'needs none)')
    return f'full {name} {mmcv.__version__} (compiled ops)'


def _installed(metadata, name):
    try:
        metadata.version(name)
        return True
    except metadata.PackageNotFoundError:
        return False
