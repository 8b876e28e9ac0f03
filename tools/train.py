#!/usr/bin/env python
"""Train: mmseg's own tools/train.py with the plugin loaded.

All of mmseg's flags work (--work-dir, --resume, --cfg-options, --launcher;
--launcher pytorch and slurm also run on CPU-only machines, over gloo).
--amp selects MixedPrecisionOptimWrapper: fp16 + dynamic loss scale on GPU,
bf16 autocast on CPU (mmseg's AmpOptimWrapper refuses to start on CPU).

    python tools/train.py configs/fcn_r101_voc_321.py [--amp] [--resume]
"""
import sys

from fcn_plugin.tooling.cli import (amp_to_cfg_options, mmseg_tool_parser,
                                    run_mmseg_tool, user_errors)
from fcn_plugin.tooling.launchers import distributed_options


def build_parser():
    """mmseg's train.py arguments, inputs and outputs declared: what the
    user typed is checked with it before mmseg's own parser reads it."""
    parser = mmseg_tool_parser('Train a segmentor')
    parser.add_argument('--resume', action='store_true')
    parser.add_argument('--amp', action='store_true')
    return parser


if __name__ == '__main__':
    with user_errors():  # no torchrun for --launcher pytorch: one line
        argv = distributed_options(amp_to_cfg_options(sys.argv[1:]))
    sys.exit(run_mmseg_tool('train.py', argv, user_argv=sys.argv[1:],
                            training=True, parser=build_parser()))
