"""The row configs as ``fcn_plugin::`` references, mim's layout.

An installed fcn_plugin carries the repo's ``configs/`` as
``fcn_plugin/.mim/configs`` and ``model-index.yml`` as
``fcn_plugin/.mim/model-index.yml``, where mmengine looks for a package's
configs (in a checkout both are symbolic links to the repo's files, so
there is one copy). With the package imported, a config can inherit a row
from any folder, as mmseg's are inherited::

    _base_ = ['fcn_plugin::fcn/fcn_r101_voc_321.py']
    # or: mmengine.hub.get_config('fcn_plugin::fcn/fcn_r101_voc_321.py')

Deviation from mmseg's own configs, forced by mmengine (0.10.7 and the
onedl fork alike): ``pkg::`` works only for packages in its table
``MODULE2PACKAGE`` (OpenMMLab's own, mmengine#1410), and the reference needs
a folder (``fcn_plugin::fcn/...``, as ``mmseg::fcn/...``). Importing
fcn_plugin adds its one entry to that table; nothing of mmengine is
replaced. ``Config.fromfile`` takes file paths only (for mmseg too):
:func:`config_file` gives a row's.
"""
import glob
import os
import os.path as osp

CONFIGS = osp.join(osp.dirname(osp.abspath(__file__)), '.mim', 'configs')
_MIM = f'{os.sep}fcn_plugin{os.sep}.mim{os.sep}'


def config_file(name):
    """The installed path of row config ``name`` (``fcn_r101_voc_321.py``,
    or ``fcn/...``)."""
    return osp.join(CONFIGS, name if '/' in name else osp.join('fcn', name))


def register_scope():
    """Let mmengine resolve ``fcn_plugin::`` (its package table)."""
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('fcn_plugin', 'fcn_plugin')


def missing_config_hint(path):
    """What to do when mmengine finds no ``path`` for a ``fcn_plugin::``
    reference (``None`` for any other path): an editable install, where
    mmengine looks in site-packages and finds no package files, or a row
    name that does not exist."""
    path = str(path or '')
    if _MIM not in path:
        return None
    if not osp.isdir(path[:path.index(_MIM) + len(_MIM)]):
        return ('fcn_plugin:: references resolve only in a regular install '
                '(pip install ".[openmmlab,lite]", not -e): this one is '
                'editable, so inherit the checkout\'s configs/fcn/<row>.py by '
                'its path instead')
    rows = sorted(glob.glob(osp.join(CONFIGS, 'fcn', '*.py')))
    return 'no such row config; the rows: ' + ', '.join(
        f'fcn_plugin::fcn/{osp.basename(row)}' for row in rows)
