#!/usr/bin/env python
"""Test: mmseg's own tools/test.py with the plugin loaded.

All of mmseg's flags work (--work-dir, --out, --show-dir, --cfg-options,
--launcher, --tta).

    python tools/test.py configs/fcn_r101_voc_321.py CHECKPOINT [--show-dir DIR]
"""
import sys

from fcn_plugin.cli import (cpu_ddp_options, drop_training_options,
                            run_mmseg_tool, user_errors)

if __name__ == '__main__':
    with user_errors():  # no torchrun for --launcher pytorch: one line
        argv = cpu_ddp_options(drop_training_options(sys.argv[1:]))
    sys.exit(run_mmseg_tool('test.py', argv, user_argv=sys.argv[1:]))
