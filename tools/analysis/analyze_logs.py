#!/usr/bin/env python
"""Plot training curves (loss, lr, mIoU) from the JSON log of a run:
mmseg's own ``analysis_tools/analyze_logs.py`` with the plugin's
environment (seaborn, which it imports, is installed with the plugin),
flags and all.

    python tools/analysis/analyze_logs.py work_dirs/fcn_r101_voc_321/*/vis_data/scalars.json --keys loss --out loss.png
"""
import sys

from fcn_plugin.tooling.cli import run_mmseg_tool

if __name__ == '__main__':
    sys.exit(run_mmseg_tool('analysis_tools/analyze_logs.py', sys.argv[1:],
                            takes_config=False))
