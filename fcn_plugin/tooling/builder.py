"""Build the plugin's segmentor from a config file (for tools and tests)."""
import difflib
import os.path as osp

from mmengine.config import Config
from mmengine.registry import init_default_scope

from ..errors import UserInputError

from ..mim_configs import row_names

# the checkout: fcn_plugin/tooling/ is two folders below it
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def missing_config_message(path):
    """One line for a config file that does not exist: the rows there
    are, and the nearest of them to what was typed."""
    rows = row_names()
    near = difflib.get_close_matches(osp.basename(path), rows, n=1,
                                     cutoff=0.5)
    nearest = f'; the nearest row is configs/{near[0]}' if near else ''
    return (f'config file {path} does not exist{nearest} (the rows, in a '
            'checkout: ' + ', '.join(f'configs/{row}' for row in rows)
            + "; from an installed package, inherit one: _base_ = "
            "['fcn_plugin::fcn/<row>.py'])")


def load_config(path, cfg_options=None):
    """``Config.fromfile`` with a clear error for a missing file or a
    syntax error (mmengine's names no file)."""
    if not osp.isfile(path):
        raise UserInputError(missing_config_message(path))
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as exc:
        where = exc.filename if exc.filename not in (None, '<unknown>') \
            else f'{path} (or a _base_ file of it)'
        raise UserInputError(
            f'syntax error in config {where}, line {exc.lineno}: '
            f'{exc.msg}. A config is Python: fix the file.') from None
    except (ValueError, RuntimeError, AssertionError) as exc:
        # mmengine's own refusals of a config's form: a `pkg::` path it
        # cannot split, a _base_ that imports a module, ... (a missing
        # file is a FileNotFoundError, named with its fix by describe_error)
        reason = ' '.join(str(exc).split())
        raise UserInputError(
            f'config {path} (or a _base_ file of it) cannot be loaded: '
            f'{reason}') from None
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
