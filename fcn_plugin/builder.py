"""Build the plugin's segmentor from a config file (for tools and tests)."""
import os.path as osp

from mmengine.config import Config
from mmengine.registry import init_default_scope

from .errors import UserInputError

REPO_CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                        'configs')


def load_config(path, cfg_options=None):
    """``Config.fromfile`` with a clear error for a missing file."""
    if not osp.isfile(path):
        raise UserInputError(f'config file {path} does not exist')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_segmentor(cfg):
    """Build ``cfg.model`` in the mmseg scope (no weight init, no checkpoint)."""
    import fcn_plugin  # noqa: F401
    from mmseg.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return MODELS.build(cfg.model)
