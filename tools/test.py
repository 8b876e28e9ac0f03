#!/usr/bin/env python
"""Test: mmseg's own tools/test.py with the plugin loaded.

All of mmseg's flags work (--work-dir, --out, --show-dir, --cfg-options,
--launcher, --tta): they are parsed and applied by mmseg's own test.py
(its ``parse_args`` and ``trigger_visualization_hook``). One difference:
the runner is built from the config's ``runner_type``, as mmseg's train.py
does, where mmseg's test.py always builds mmengine's plain Runner. So the
console shows progress and results, and the environment and config dump go
to the log file (``ConciseConsoleRunner``).

    python tools/test.py configs/fcn_r101_voc_321.py CHECKPOINT [--show-dir DIR]
"""
import os
import os.path as osp
import runpy
import sys

from fcn_plugin.tooling.cli import (check_user_options, drop_training_options,
                                    mmseg_tool_parser, mmseg_tool_path,
                                    user_errors)
from fcn_plugin.tooling.launchers import distributed_options, end_distributed


def build_parser():
    """mmseg's test.py arguments, inputs and outputs declared: what the
    user typed is checked with it before mmseg's own parser reads it."""
    parser = mmseg_tool_parser('Test a segmentor', checkpoint=True)
    parser.add_output('--out', kind='folder')
    parser.add_output('--show-dir', kind='folder')
    parser.add_argument('--show', action='store_true')
    parser.add_argument('--wait-time', type=float, default=2)
    parser.add_argument('--tta', action='store_true')
    return parser


def main(argv):
    import fcn_plugin  # noqa: F401  (registry, mmcv-lite)
    from mmengine.config import Config
    from mmengine.registry import RUNNERS

    from fcn_plugin.tooling.builder import merge_options
    check_user_options(argv, parser=build_parser())
    mmseg_test = runpy.run_path(mmseg_tool_path('test.py'))  # not its main
    sys.argv = [mmseg_test['__file__'],
                *distributed_options(drop_training_options(argv))]
    args = mmseg_test['parse_args']()
    # from here on, mmseg's test.py main(), but the config's runner_type
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        merge_options(cfg, args.cfg_options)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg = mmseg_test['trigger_visualization_hook'](cfg, args)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else \
        mmseg_test['Runner'].from_cfg(cfg)
    runner.test()
    end_distributed()
    if args.show_dir:  # where mmseg's visualization hook put them
        pictures = osp.join(args.show_dir, 'vis_data', 'vis_image')
        count = len(os.listdir(pictures)) if osp.isdir(pictures) else 0
        interval = cfg.default_hooks.visualization.get('interval', 50)
        every = '' if interval == 1 else (
            f': mmseg draws every {interval}th image; all of them with '
            '--cfg-options default_hooks.visualization.interval=1')
        print(f'{count} picture(s) (label | prediction) in {pictures}{every}')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main(sys.argv[1:]))
