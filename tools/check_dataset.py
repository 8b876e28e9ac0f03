#!/usr/bin/env python
"""Check a config's datasets before spending GPU hours on them.

Reads every image and label of each split through the config's own loading
steps and reports image/label counts per split, missing files, unreadable
files, label/image size mismatches and label values outside the classes.
Exit code 0 when everything is usable, 1 otherwise.

    python tools/check_dataset.py configs/fcn_r101_voc_321.py
    python tools/check_dataset.py configs/fcn_r101_cityscapes_256x512.py --splits val
"""
import argparse
import sys
from collections import Counter

import numpy as np
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar

from fcn_plugin.cli import user_errors
from fcn_plugin.errors import UserInputError
from fcn_plugin.builder import load_config

LOADING_STEPS = ('CheckedLoadImageFromFile', 'CheckedLoadAnnotations',
                 'CityscapesLabelIdMap')


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        choices=['train', 'val', 'test'])
    parser.add_argument('--data-root', help='override every split\'s data_root')
    parser.add_argument('--max-problems', type=int, default=20,
                        help='problems listed per split')
    return parser.parse_args(argv)


def check_split(cfg, split, data_root, max_problems):
    """Return ``(report_lines, problem_count)`` for one split."""
    from mmseg.registry import DATASETS
    ds_cfg = cfg[f'{split}_dataloader'].dataset.copy()
    if data_root:
        ds_cfg.data_root = data_root
    loading = [s for s in ds_cfg.pipeline if s['type'] in LOADING_STEPS]
    ds_cfg.pipeline = []
    try:  # the file-list checks: root, split file, every listed file
        dataset = DATASETS.build(ds_cfg)
    except UserInputError as exc:
        return [f'{split}: {str(exc).splitlines()[-1]}'], 1
    pipeline = Compose(loading)
    values, problems = Counter(), []
    bar = ProgressBar(len(dataset))
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        try:
            seg = pipeline(dict(info, seg_fields=[]))['gt_seg_map']
            values.update(dict(zip(*np.unique(seg, return_counts=True))))
        except UserInputError as exc:
            problems.append(str(exc))
        bar.update()
    sys.stdout.write('\n')
    classes = dataset.metainfo['classes']
    present = sorted(int(v) for v in values if v != 255)
    lines = [f'{split}: {len(dataset)} images, {len(dataset)} labels '
             f'({type(dataset).__name__}, {dataset.data_root})',
             f'  classes present: {len(present)} of {len(classes)}; '
             f'ignored (255) pixels: '
             f'{100 * values[255] / max(sum(values.values()), 1):.1f} %']
    if problems:
        lines.append(f'  {len(problems)} problem(s):')
        lines += [f'    {p}' for p in problems[:max_problems]]
        if len(problems) > max_problems:
            lines.append(f'    ... and {len(problems) - max_problems} more')
    return lines, len(problems)


def main(argv=None):
    args = parse_args(argv)
    import fcn_plugin  # noqa: F401
    cfg = load_config(args.config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    report, total = [], 0
    for split in args.splits:
        lines, count = check_split(cfg, split, args.data_root,
                                   args.max_problems)
        report += lines
        total += count
    print('\n'.join(report))
    print('OK: the dataset is ready.' if not total else
          f'FAILED: {total} problem(s); fix them before training.')
    return 1 if total else 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
