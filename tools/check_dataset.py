#!/usr/bin/env python
"""Check a config's datasets before spending GPU hours on them.

Reads every image and label of each split through the config's own loading
steps and reports, per split, image/label counts and EVERY problem: missing
and unreadable files, label/image size mismatches and label values outside
the classes. Exit code 0 when everything is usable, 1 otherwise.

    python tools/check_dataset.py configs/fcn_r101_voc_321.py
    python tools/check_dataset.py configs/fcn_r101_cityscapes_256x512.py --splits val
"""
import argparse
import os.path as osp
import sys
from collections import Counter

import numpy as np
from mmengine.utils import ProgressBar

from fcn_plugin.tooling.cli import CfgOptionsAction, load_checked_config, user_errors

LABEL_STEPS = ('LoadAnnotations', 'CheckedLoadAnnotations',
               'CityscapesLabelIdMap')


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        choices=['train', 'val', 'test'])
    parser.add_argument('--data-root', help="override every split's data_root")
    parser.add_argument('--max-problems', type=int, default=20,
                        help='problems listed per split (all are counted)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='the same overrides as tools/train.py')
    return parser.parse_args(argv)


def _sample_problems(info, load_image, label_steps):
    """Every problem of one sample, and its label (or None)."""
    from fcn_plugin.errors import UserInputError
    problems, results = [], dict(info, seg_fields=[])
    if not osp.isfile(info['img_path']):
        problems.append(f'missing image {info["img_path"]}')
    else:
        try:
            results = load_image(results)
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            problems.append(f'cannot read image {info["img_path"]}: '
                            f'{str(exc).strip() or type(exc).__name__}')
    seg_path = info.get('seg_map_path')
    if not seg_path:
        return problems, None
    if not osp.isfile(seg_path):
        return problems + [f'missing label {seg_path}'], None
    try:
        return problems, label_steps(results)['gt_seg_map']
    except UserInputError as exc:
        return problems + [str(exc)], None
    except Exception as exc:  # noqa: BLE001
        return problems + [f'cannot read label {seg_path}: '
                           f'{str(exc).strip() or type(exc).__name__}'], None


def check_split(cfg, split, data_root, max_problems):
    """Return ``(report_lines, problem_count)`` for one split."""
    from mmcv.transforms import Compose
    from mmseg.registry import DATASETS, TRANSFORMS

    from fcn_plugin.errors import UserInputError
    ds_cfg = cfg[f'{split}_dataloader'].dataset.copy()
    if data_root:
        ds_cfg.data_root = data_root
    label_steps = Compose([s for s in ds_cfg.pipeline
                           if s['type'] in LABEL_STEPS])
    load_image = TRANSFORMS.build(dict(type='LoadImageFromFile'))
    ds_cfg.pipeline = []
    try:
        dataset = DATASETS.build(dict(ds_cfg, lazy_init=True))
        folder = dataset.folder_problem()
    except UserInputError as exc:  # the dataset's own folder check
        folder = str(exc)
    if folder:
        return [f'{split}: 1 problem:', f'    {folder}'], 1
    data_list = dataset.unchecked_data_list()
    if not data_list:
        source = dataset.ann_file or dataset.data_prefix.get('img_path')
        return [f'{split}: 1 problem:',
                f'    no samples: {source} lists no image'], 1
    values, problems = Counter(), []
    bar = ProgressBar(len(data_list))
    for info in data_list:
        found, seg = _sample_problems(info, load_image, label_steps)
        problems += found
        if seg is not None:
            values.update(dict(zip(*np.unique(seg, return_counts=True))))
        bar.update()
    sys.stdout.write('\n')
    missing = dataset.missing_files(data_list)
    classes = dataset.metainfo['classes']
    present = sorted(int(v) for v in values if v != 255)
    lines = [
        f'{split}: {len(data_list) - len(missing["image"])} images, '
        f'{len(data_list) - len(missing["label"])} labels of '
        f'{len(data_list)} listed ({type(dataset).__name__}, '
        f'{dataset.data_root})',
        f'  classes present: {len(present)} of {len(classes)}; ignored (255) '
        f'pixels: {100 * values[255] / max(sum(values.values()), 1):.1f} %'
    ]
    if problems:
        lines.append(f'  {len(problems)} problem(s):')
        lines += [f'    {p}' for p in problems[:max_problems]]
        if len(problems) > max_problems:
            lines.append(f'    ... and {len(problems) - max_problems} more '
                         '(--max-problems)')
    return lines, len(problems)


def main(argv=None):
    args = parse_args(argv)
    import fcn_plugin  # noqa: F401
    from mmengine.registry import init_default_scope
    cfg = load_checked_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    report, total = [], 0
    for split in args.splits:
        print(f'checking {split} ...', flush=True)
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
