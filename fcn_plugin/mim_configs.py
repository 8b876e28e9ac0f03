"""The row configs as ``fcn_plugin::`` references, mim's layout.

The repo's ``configs/`` (the rows at its top, ``configs/<row>.py``) is the
package's ``fcn_plugin/.mim/configs/fcn/``, and ``tools/`` its
``fcn_plugin/.mim/tools/``, where mmengine and mim look for a package's
configs and tools: in a checkout both are symbolic links to the repo's
folders, in a wheel copies of them made by the build (one source). With the
package imported, a config can inherit a row from any folder, as mmseg's
are inherited::

    _base_ = ['fcn_plugin::fcn/fcn_r101_voc_321.py']
    # or: mmengine.hub.get_config('fcn_plugin::fcn/fcn_r101_voc_321.py')

Deviations from mmseg's own configs, forced by mmengine (0.10.7 and the
onedl fork alike): ``pkg::`` works only for packages in its table
``MODULE2PACKAGE`` (OpenMMLab's own, mmengine#1410), and the reference needs
a folder (``fcn_plugin::fcn/...``, as ``mmseg::fcn/...``). Importing
fcn_plugin adds its one entry to that table; nothing of mmengine is
replaced. The entry names this module, not the distribution: mmengine
finds a distribution's files at ``<its location>/<name>``, which for an
editable install (``make install``) is site-packages, where there are none;
a name that is no distribution it finds through the import system
(``importlib.util.find_spec``), i.e. where Python imports the plugin from:
site-packages for a wheel, the checkout for an editable install.
``Config.fromfile`` takes file paths only (for mmseg too): :func:`config_file`
gives a row's.
"""
import glob
import os
import os.path as osp

PACKAGE = osp.dirname(osp.abspath(__file__))
CONFIGS = osp.join(PACKAGE, '.mim', 'configs')
ROWS = osp.join(CONFIGS, 'fcn')  # the rows and their _base_/
_MIM = f'{os.sep}fcn_plugin{os.sep}.mim{os.sep}'


def config_file(name):
    """The installed path of row config ``name`` (``fcn_r101_voc_321.py``,
    or ``fcn/...``)."""
    return osp.join(CONFIGS, name if '/' in name else osp.join('fcn', name))


def row_names():
    """The rows' file names, ``fcn_r101_*.py``."""
    return sorted(osp.basename(p) for p in glob.glob(osp.join(ROWS, '*.py')))


def register_scope():
    """Let mmengine resolve ``fcn_plugin::`` (its package table), through
    the import system (the module docstring says why). mmengine reloads
    setuptools' ``pkg_resources`` for each reference it resolves, which
    prints setuptools' deprecation warning each time: that one warning is
    hidden (it concerns mmengine's code, nothing a user can change)."""
    import warnings
    from mmengine.config.utils import MODULE2PACKAGE
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated',
                            category=UserWarning)
    MODULE2PACKAGE.setdefault('fcn_plugin', __name__)


def missing_config_hint(path):
    """What to do when mmengine finds no ``path`` for a ``fcn_plugin::``
    reference (``None`` for any other path): the rows there are."""
    path = str(path or '')
    if _MIM not in path:
        return None
    return 'no such row config; the rows: ' + ', '.join(
        f'fcn_plugin::fcn/{name}' for name in row_names())
