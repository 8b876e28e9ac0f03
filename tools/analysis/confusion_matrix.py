#!/usr/bin/env python
"""Confusion matrix of a test run's saved predictions against the labels:
mmseg's own ``analysis_tools/confusion_matrix.py`` with the plugin loaded
(its datasets and transforms; mmcv-lite), flags and all.

    python tools/test.py configs/fcn_r101_voc_321.py CHECKPOINT --out preds/
    python tools/analysis/confusion_matrix.py configs/fcn_r101_voc_321.py preds/ cm/
"""
import sys

from fcn_plugin.tooling.cli import run_mmseg_tool

if __name__ == '__main__':
    sys.exit(run_mmseg_tool('analysis_tools/confusion_matrix.py',
                            sys.argv[1:]))
