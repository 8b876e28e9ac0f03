"""Build the plugin's segmentor from a config file (for tools and tests)."""
import os.path as osp

from mmengine.config import Config
from mmengine.registry import init_default_scope

from ..errors import UserInputError

# the checkout: fcn_plugin/tooling/ is two folders below it
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REPO_CONFIGS = osp.join(REPO, 'configs', 'fcn')  # the row configs


def load_config(path, cfg_options=None):
    """``Config.fromfile`` with a clear error for a missing file or a
    syntax error (mmengine's names no file)."""
    if not osp.isfile(path):
        raise UserInputError(f'config file {path} does not exist')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as exc:
        where = exc.filename if exc.filename not in (None, '<unknown>') \
            else f'{path} (or a _base_ file of it)'
        raise UserInputError(
            f'syntax error in config {where}, line {exc.lineno}: '
            f'{exc.msg}. A config is Python: fix the file.') from None
    if cfg_options:
        merge_options(cfg, cfg_options)
    return cfg


def merge_options(cfg, options):
    """``cfg.merge_from_dict(options)``; an option that cannot apply is a
    :class:`UserInputError` naming the conflict."""
    try:
        cfg.merge_from_dict(options)
    except (TypeError, KeyError, AttributeError) as exc:
        raise UserInputError(
            f'--cfg-options cannot be applied ({exc}): a key sets a field '
            'inside a value that is not a dict, e.g. '
            'model.backbone.init_cfg=None and then '
            'model.backbone.init_cfg.checkpoint=...: keep one of them.'
        ) from None


def build_segmentor(cfg):
    """Build ``cfg.model`` in the mmseg scope (no weight init, no checkpoint)."""
    import fcn_plugin  # noqa: F401
    from mmseg.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return MODELS.build(cfg.model)
