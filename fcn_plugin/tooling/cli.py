"""Shared plumbing of the ``tools/`` scripts: run mmseg's own tools with the
plugin imported, and turn user mistakes into one-line messages (exit code 1).

Set ``FCN_PLUGIN_DEBUG=1`` to see the full traceback instead.
"""
import argparse
import contextlib
import os
import os.path as osp
import re
import runpy
import signal
import sys
import warnings

from ..errors import (Stopped, UserInputError, describe_error, interrupted,
                      raise_stopped)
from .launchers import check_launcher, end_distributed

# Upstream warnings every run prints that tell a user nothing actionable:
# mmseg builds its loss through its own deprecated helper, its
# visualization hook warns whenever drawing is off (the default), mmengine's
# inferencer looks for its own registry scope and for a save_dir it does not
# need, mmseg's align_corners note concerns odd sizes it handles, and
# mmengine notes each (H, W) map it stores as (1, H, W) under --tta, and
# torch deprecates the broadcast_buffers=False that CPU DDP sets.
UPSTREAM_NOISE = (r'``build_loss`` would be deprecated soon',
                  r'The draw is False',
                  r'Failed to search registry with scope',
                  r'Failed to add <class .mmengine.visualization.vis_backend',
                  r'When align_corners=True, the output would more aligned',
                  r'The shape of value will convert from',
                  r'`broadcast_buffers` is deprecated')


def mmseg_tool_path(relative):
    """Path of a tool shipped inside the installed mmseg (``mmseg/.mim/tools``)."""
    import mmseg
    path = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', relative)
    if not osp.isfile(path):
        raise UserInputError(
            f'mmseg tool {relative} not found at {path}; reinstall '
            'mmsegmentation==1.2.2 (pip install -e . or mim install).')
    return path


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def user_errors():
    """Print a user error on one line and exit 1 (:func:`describe_error`),
    a Ctrl-C, SIGTERM or SIGHUP on one line and exit 128 + signal
    (:func:`interrupted`; SIGTERM and SIGHUP raise :class:`Stopped` where
    the tool is, unless a training's own handler takes them); re-raise the
    rest, and everything with ``FCN_PLUGIN_DEBUG=1``. Every tool runs in
    it, so it also hides :data:`UPSTREAM_NOISE`."""
    quiet_upstream_warnings()
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) in (signal.SIG_DFL, raise_stopped):
            signal.signal(signum, raise_stopped)
    try:
        yield
    except (Exception, KeyboardInterrupt, Stopped) as exc:  # classified below
        line = describe_error(exc)
        if line is None or os.environ.get('FCN_PLUGIN_DEBUG'):
            raise
        print(f'error: {line}', file=sys.stderr)
        sys.exit(128 + interrupted(exc) if interrupted(exc) else 1)


def check_cfg_option_items(items):
    """Refuse with one line what mmengine's option parser would mangle in
    ``--cfg-options`` items: one without ``=`` (a traceback there) and a
    value with spaces (mmengine deletes them, and mmseg's tools parse the
    same argv again with it, so no quoting helps)."""
    for item in items:
        key, sep, value = item.partition('=')
        if not sep or not key:
            raise UserInputError(
                f'--cfg-options {item}: expected KEY=VALUE, e.g. '
                'train_cfg.max_iters=1000')
        if ' ' in value:
            raise UserInputError(
                f'--cfg-options {key}: the value {value!r} has spaces, '
                "which mmengine's option parser deletes; use a path "
                'without spaces (a symlink to it is fine).')


class CfgOptionsAction(argparse.Action):
    """mmengine's ``DictAction`` for ``--cfg-options``, after
    :func:`check_cfg_option_items`."""

    def __call__(self, parser, namespace, values, option_string=None):
        from mmengine.config import DictAction
        check_cfg_option_items(values)
        DictAction(self.option_strings, self.dest)(parser, namespace, values,
                                                   option_string)


def check_device(device):
    """A CUDA device asked for on a machine without one is a user error."""
    import torch
    if str(device).startswith('cuda') and not torch.cuda.is_available():
        raise UserInputError(
            f'--device {device}: no CUDA device is available here (torch '
            f'{torch.__version__}); use --device cpu')


def load_checked_config(path, cfg_options=None):
    """``load_config(path, cfg_options)`` for a tool, after the checks of
    :func:`check_user_options`: one ``warning:`` line per option that does
    nothing, an error for one that would fail late."""
    from .builder import load_config, merge_options
    from .config_checks import check_cfg_options
    cfg = load_config(path)
    for warning in check_cfg_options(cfg, cfg_options or {}):
        print(f'warning: {warning}', file=sys.stderr)
    if cfg_options:
        merge_options(cfg, cfg_options)
    return cfg


def mmseg_tool_parser(description, checkpoint=False):
    """The arguments mmseg's train.py and test.py share, as a
    :class:`~.arguments.ToolParser` (inputs and outputs declared); a tool
    adds its own. It checks what a user typed before mmseg's own parser
    reads it (mmseg's ``--help`` stays the help)."""
    from .arguments import ToolParser
    parser = ToolParser(description=description, add_help=False)
    parser.add_input('config')
    if checkpoint:
        parser.add_input('checkpoint')
    parser.add_output('--work-dir', kind='workdir')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    parser.add_argument('--launcher')
    return parser


def check_user_options(argv, training=False, parser=None, splits=None):
    """Parse ``argv`` with ``parser`` (the tool's; by default
    :func:`mmseg_tool_parser`'s arguments), load the config it names and
    check its ``--cfg-options``: one ``warning:`` line per no-op key, an
    error for a late failure; that its checkpoint (a local one) and the
    folders of the ``splits`` it reads exist (by default test, or for
    ``training`` train and val); for ``training``, also that the ImageNet
    init file exists."""
    if {'-h', '--help'} & set(argv):
        return
    parser = parser or mmseg_tool_parser('Run a tool')
    args, _ = parser.parse_known_args(argv)
    check_launcher(args.launcher)
    cfg = load_checked_config(args.config, args.cfg_options)
    if 'model' not in cfg:  # mmengine's runner: KeyError: 'model'
        raise UserInputError(
            f'config {args.config} defines no model: a config of your own '
            "inherits a row, e.g. _base_ = ['fcn_plugin::fcn/"
            "fcn_r101_voc_321.py'] (configs/fcn_r101_voc_321.py in a "
            'clone), and overrides what it changes.')
    checkpoint = getattr(args, 'checkpoint', None)
    if checkpoint and '://' not in checkpoint:  # a URL: mmengine fetches it
        from ..weights.io import require_file
        require_file(checkpoint)
    if training:
        check_config_dump(args.config, args.work_dir or cfg.get('work_dir'))
        from ..weights.imagenet_init import check_init_file
        check_init_file(cfg)
    if splits is None:
        splits = (('train', 'val') if cfg.get('val_cfg') else ('train',)) \
            if training else ('test',)
    from ..datasets.file_checks import check_data_folders
    check_data_folders(cfg, splits)


def check_config_dump(config, work_dir):
    """mmengine dumps the flattened config to ``<work dir>/<config's file
    name>``: with the work dir the config's own folder, that dump would
    replace the user's config (its ``_base_`` and comments gone). Refuse."""
    if work_dir is None:  # mmseg's default: work_dirs/<config name>/
        return
    from .output_files import same_file
    if same_file(osp.join(work_dir, osp.basename(config)), config):
        raise UserInputError(
            f'--work-dir {work_dir} holds the config {config}: the run '
            'writes its flattened copy of the config there under the same '
            'name, which would replace yours; use another --work-dir (e.g. '
            f'work_dirs/{osp.splitext(osp.basename(config))[0]})')


def _not_upstream_noise(record):
    """Logging filter: drop the records of :data:`UPSTREAM_NOISE`."""
    return not re.search('|'.join(UPSTREAM_NOISE), str(record.msg))


def quiet_upstream_warnings():
    """Hide :data:`UPSTREAM_NOISE`: as Python warnings, and as records of
    mmengine's default logger (what mmengine logs outside a runner)."""
    from mmengine.logging import MMLogger
    for message in UPSTREAM_NOISE:
        warnings.filterwarnings('ignore', message=message)
    MMLogger.get_instance('mmengine').addFilter(_not_upstream_noise)  # once


def run_mmseg_tool(relative, argv, user_argv=None, training=False,
                   takes_config=True, parser=None):
    """Run ``mmseg/.mim/tools/<relative>`` as ``__main__`` with ``argv``.

    ``user_argv`` (what the user typed, before our additions) is checked
    first (:func:`check_user_options` with the tool's ``parser``,
    ``training`` included) when the tool ``takes_config`` as its first
    argument.
    """
    import fcn_plugin  # noqa: F401  (registry, mmcv-lite)
    with user_errors():
        if takes_config:
            check_user_options(argv if user_argv is None else user_argv,
                               training, parser)
        path = mmseg_tool_path(relative)
        sys.argv = [path, *argv]
        runpy.run_path(path, run_name='__main__')
    end_distributed()
    return 0


def amp_to_cfg_options(argv):
    """Replace ``--amp`` by the plugin's device-aware mixed precision.

    mmseg's ``--amp`` switches to ``AmpOptimWrapper``, which refuses to run
    on CPU; ``MixedPrecisionOptimWrapper`` is the same thing on GPU (fp16 +
    dynamic loss scale) and bf16 autocast on CPU.
    """
    if '--amp' not in argv:
        return list(argv)
    argv = [a for a in argv if a != '--amp']
    return argv + [
        '--cfg-options', 'optim_wrapper.type=MixedPrecisionOptimWrapper',
        'optim_wrapper.loss_scale=dynamic'
    ]


def drop_training_options(argv):
    """Let ``tools/test.py`` run without the training data being present.

    mmseg's visualization hook reads ``runner.iter``, which makes mmengine
    build the train loop, i.e. the train dataset, while testing with
    ``--show-dir``. Testing needs none of the training settings, so they are
    removed from the config.
    """
    return list(argv) + [
        '--cfg-options', 'train_dataloader=None', 'train_cfg=None',
        'optim_wrapper=None', 'param_scheduler=None'
    ]
