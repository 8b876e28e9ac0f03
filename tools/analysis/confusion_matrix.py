#!/usr/bin/env python
"""Confusion matrix of a test run's saved predictions against the labels:
mmseg's own ``analysis_tools/confusion_matrix.py`` with the plugin loaded
(its datasets and transforms; mmcv-lite), flags and all.

    python tools/test.py configs/fcn_r101_voc_321.py CHECKPOINT --out preds/
    python tools/analysis/confusion_matrix.py configs/fcn_r101_voc_321.py preds/ cm/

Checked first, each in one line: the prediction folder holds the test
split's predictions (one per image), and the output folder is no input.
mmseg's normalisation divides by each class's pixel count; a class absent
from the labels has none (its row is empty), which is said once instead of
numpy's RuntimeWarning. The picture is written as every tool's outputs are.
"""
import os
import os.path as osp
import sys
import warnings

from fcn_plugin.errors import UserInputError
from fcn_plugin.tooling.arguments import ToolParser
from fcn_plugin.tooling.cli import (CfgOptionsAction, load_checked_config,
                                    run_mmseg_tool, user_errors)
from fcn_plugin.tooling.output_files import StagedFolder


def build_parser():
    """mmseg's arguments, with the inputs and the output folder declared."""
    parser = ToolParser(description='Generate confusion matrix from '
                        'segmentation results')
    parser.add_input('config', help='test config file path')
    parser.add_input('prediction_path', kind='folder', help='predictions of '
                     'tools/test.py --out')
    parser.add_output('save_dir', kind='folder',
                      help='directory where confusion matrix will be saved')
    parser.add_argument('--show', action='store_true',
                        help='show confusion matrix')
    parser.add_argument('--color-theme', default='winter',
                        help='theme of the matrix color map')
    parser.add_argument('--title', default='Normalized Confusion Matrix',
                        help='title of the matrix color map')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    return parser


def check_predictions(args):
    """The prediction folder holds one prediction per test image."""
    if not osp.isdir(args.prediction_path):
        raise UserInputError(f'no folder {args.prediction_path}: write the '
                             'predictions with tools/test.py CONFIG CKPT '
                             f'--out {args.prediction_path}')
    found = len(os.listdir(args.prediction_path))
    import fcn_plugin  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    cfg = load_checked_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    expected = len(DATASETS.build(cfg.test_dataloader.dataset))
    if found != expected:
        raise UserInputError(
            f'{args.prediction_path} holds {found} file(s), but the test '
            f'split of {args.config} has {expected} image(s): write its '
            'predictions with tools/test.py CONFIG CKPT --out '
            f'{args.prediction_path} (the same --cfg-options)')


def main(argv):
    args = build_parser().parse_args(argv)
    check_predictions(args)
    staging = StagedFolder(args.save_dir)
    index = argv.index(args.save_dir)  # the positional, as given
    with staging as tmp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', RuntimeWarning)
        run_mmseg_tool('analysis_tools/confusion_matrix.py',
                       [*argv[:index], tmp, *argv[index + 1:]])
    print('\n'.join(staging.said))
    if any('invalid value encountered' in str(w.message) for w in caught):
        print('note: classes absent from the labels have no pixels to '
              'normalise their row by: those rows stay empty')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main(sys.argv[1:]))
