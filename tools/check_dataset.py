#!/usr/bin/env python
"""Check a config's datasets before spending GPU hours on them.

Reads every image and label of each split through the config's own loading
steps, in one process per core (--workers), and reports, per split, the
folder it read (after tools/prepare_cityscapes.py: the half-resolution copy
the training reads), image/label counts and EVERY problem: missing and
unreadable files, files whose header claims an absurd size (not decoded),
label/image size mismatches and label values outside the classes. Exit code
0 when everything is usable, 1 otherwise.

    python tools/check_dataset.py configs/fcn_r101_voc_321.py
    python tools/check_dataset.py configs/fcn_r101_cityscapes_256x512.py --splits val
"""
import os.path as osp
import sys
from collections import Counter

import numpy as np

from fcn_plugin.tooling.arguments import (ToolParser, whole_number,
                                          workers_option)
from fcn_plugin.tooling.cli import CfgOptionsAction, load_checked_config, user_errors
from fcn_plugin.tooling.inference import oversized
from fcn_plugin.tooling.progress import Progress
from fcn_plugin.tooling.worker_pool import WorkerPool

LABEL_STEPS = ('LoadAnnotations', 'CheckedLoadAnnotations',
               'CityscapesLabelIdMap')
_steps = {}  # per worker process: the config's loading steps


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('config')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        choices=['train', 'val', 'test'])
    parser.add_input('--data-root', kind='folder',
                     help="override every split's data_root")
    parser.add_argument('--max-problems', type=whole_number(0), default=20,
                        help='problems listed per split (all are counted)')
    workers_option(parser, 'processes that decode the files')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='the same overrides as tools/train.py')
    return parser


def _init_worker(load_step, label_steps):
    import cv2
    import fcn_plugin  # noqa: F401
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope
    from mmseg.registry import TRANSFORMS
    init_default_scope('mmseg')
    cv2.setNumThreads(1)
    _steps.update(load_image=TRANSFORMS.build(load_step),
                  labels=Compose(label_steps))


def _sample_problems(info):
    """Every problem of one sample, and its label's value counts."""
    from fcn_plugin.errors import UserInputError
    problems, results = [], dict(info, seg_fields=[])
    if not osp.isfile(info['img_path']):
        problems.append(f'missing image {info["img_path"]}')
    elif size := oversized(info['img_path']):
        problems.append(f'image {info["img_path"]} is {size} pixels, far '
                        'beyond a dataset frame: not decoded; replace it')
    else:
        try:
            results = _steps['load_image'](results)
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            problems.append(f'cannot read image {info["img_path"]}: '
                            f'{str(exc).strip() or type(exc).__name__}')
    seg_path = info.get('seg_map_path')
    if not seg_path:
        return problems, {}
    if not osp.isfile(seg_path):
        return problems + [f'missing label {seg_path}'], {}
    if size := oversized(seg_path):
        return problems + [f'label {seg_path} is {size} pixels, far beyond '
                           'a dataset frame: not decoded; replace it'], {}
    try:
        seg = _steps['labels'](results)['gt_seg_map']
    except UserInputError as exc:
        return problems + [str(exc)], {}
    except Exception as exc:  # noqa: BLE001
        return problems + [f'cannot read label {seg_path}: '
                           f'{str(exc).strip() or type(exc).__name__}'], {}
    return problems, dict(zip(*np.unique(seg, return_counts=True)))


def check_split(cfg, split, data_root, max_problems, workers):
    """Return ``(report_lines, problem_count)`` for one split."""
    from mmseg.registry import DATASETS

    from fcn_plugin.errors import UserInputError
    ds_cfg = cfg[f'{split}_dataloader'].dataset.copy()
    if data_root:
        ds_cfg.data_root = data_root
    label_steps = [s.to_dict() for s in ds_cfg.pipeline
                   if s['type'] in LABEL_STEPS]
    load_step = next((s.to_dict() for s in ds_cfg.pipeline
                      if s['type'] == 'LoadImageFromFile'),
                     dict(type='LoadImageFromFile'))
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
    read_from = dataset.data_prefix.get('img_path') or dataset.data_root
    with WorkerPool(workers, len(data_list), _init_worker,
                    (load_step, label_steps), f'{split} images') as pool, \
            Progress(len(data_list), f'{split} samples') as progress:
        print(f'{split}: reading {len(data_list)} images and labels from '
              f'{read_from} ({pool.size} processes)', flush=True)
        for found, counts in pool.map(_sample_problems, data_list,
                                      chunksize=8):
            problems += found
            values.update(counts)
            progress.update()
    missing = dataset.missing_files(data_list)
    classes = dataset.metainfo['classes']
    present = sorted(int(v) for v in values if v != 255)
    lines = [
        f'{split}: {len(data_list) - len(missing["image"])} images, '
        f'{len(data_list) - len(missing["label"])} labels of '
        f'{len(data_list)} listed ({type(dataset).__name__}, read from '
        f'{read_from})',
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
    args = build_parser().parse_args(argv)
    import fcn_plugin  # noqa: F401
    from mmengine.registry import init_default_scope
    cfg = load_checked_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    report, total = [], 0
    for split in args.splits:
        lines, count = check_split(cfg, split, args.data_root,
                                   args.max_problems, args.workers)
        report += lines
        total += count
    print('\n'.join(report))
    print('OK: the dataset is ready.' if not total else
          f'FAILED: {total} problem(s); fix them before training.')
    return 1 if total else 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
