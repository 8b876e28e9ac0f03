#!/usr/bin/env python
"""Write a half-resolution copy of Cityscapes that decodes ~20x faster.

    python tools/prepare_cityscapes.py data/cityscapes [--splits train val]

The reference halves every 1024x2048 image and label to 512x1024 first;
this does that once, with the pipeline's own transforms (``Resize``: image
bilinear, raw label ids nearest), and stores the result inside the data root
(``half_resolution/``: BMP images and labels). Afterwards the Cityscapes
configs read it automatically, with bitwise the same samples; the
originals stay where they are (``half_resolution_copy=False`` uses them).

Every image and label is checked as it is read; problems are listed at the
end and the split is then not marked complete. Each file is written to a
temporary name and renamed, so an interrupted run leaves no half-written
file, and a rerun continues where it stopped.
"""
import glob
import os
import os.path as osp
import sys

import cv2

from fcn_plugin.tooling.arguments import ToolParser, workers_option
from fcn_plugin.tooling.cli import user_errors
from fcn_plugin.tooling.output_files import write_image, write_json
from fcn_plugin.tooling.progress import Progress
from fcn_plugin.tooling.worker_pool import WorkerPool
from fcn_plugin.datasets import cityscapes_half_resolution as half
from fcn_plugin.errors import UserInputError
from fcn_plugin.mim_configs import config_file

CONFIG = config_file('fcn_r101_cityscapes_256x512.py')
_steps = {}  # per worker process: the pipeline's loading and resize steps


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('data_root', kind='folder', help='Cityscapes folder '
                     '(leftImg8bit/, gtFine/); the copy is written inside it')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        choices=['train', 'val', 'test'])
    workers_option(parser)
    parser.add_input('--config', default=CONFIG,
                     help='config whose half_resolution it applies')
    return parser


def _init_worker(scale, load_step):
    import fcn_plugin  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmseg.registry import TRANSFORMS
    init_default_scope('mmseg')
    cv2.setNumThreads(1)
    build = TRANSFORMS.build
    _steps.update(
        load_image=build(load_step),  # the pipeline's
        load_label=build(dict(type='LoadAnnotations')),  # the pipeline's
        resize=build(dict(type='Resize', scale=scale, keep_ratio=False)))


def convert(job):
    """One sample: read, check, resize as the pipeline does, write.

    Returns ``None`` or a problem (str).
    """
    img_path, label_path, img_out, label_out = job
    try:
        results = _steps['load_image'](dict(img_path=img_path))
        results = _steps['load_label'](dict(
            results, seg_map_path=label_path, reduce_zero_label=False,
            seg_fields=[]))
    except Exception as exc:  # noqa: BLE001 - reported per file
        return f'cannot read {img_path} / {label_path}: {exc}'
    img, label = results['img'], results['gt_seg_map']
    if img.ndim != 3 or img.shape[2] != 3:
        return f'{img_path}: not a colour image (shape {img.shape})'
    if label.shape != img.shape[:2]:
        return (f'{label_path} is {label.shape[1]}x{label.shape[0]} but its '
                f'image is {img.shape[1]}x{img.shape[0]}')
    results = _steps['resize'](results)  # image bilinear, label nearest
    os.makedirs(osp.dirname(img_out), exist_ok=True)
    os.makedirs(osp.dirname(label_out), exist_ok=True)
    write_image(label_out, results['gt_seg_map'])  # 8-bit BMP
    write_image(img_out, results['img'])  # BMP: stored as is
    return None


def is_current(job):
    """Both outputs exist (complete: they were renamed into place) and are
    newer than both originals."""
    img_path, label_path, img_out, label_out = job
    return osp.isfile(img_out) and osp.isfile(label_out) and min(
        os.stat(img_out).st_mtime_ns, os.stat(label_out).st_mtime_ns) >= \
        max(os.stat(img_path).st_mtime_ns,
            os.stat(label_path).st_mtime_ns if osp.isfile(label_path) else 0)


def split_jobs(root, split):
    """``(img, label, img_out, label_out)`` for every image of a split."""
    images = sorted(glob.glob(osp.join(root, 'leftImg8bit', split, '*',
                                       '*_leftImg8bit.png')))
    if not images:
        raise UserInputError(
            f'no images in {osp.join(root, "leftImg8bit", split)}: is '
            f'{root} the Cityscapes folder (leftImg8bit/, gtFine/)?')
    jobs = []
    for img in images:
        rel = osp.relpath(img, osp.join(root, 'leftImg8bit'))
        stem = rel[:-len('_leftImg8bit.png')]
        label = osp.join(root, 'gtFine', stem + half.LABEL_SUFFIX)
        jobs.append((img, label,
                     osp.join(root, half.COPY_DIR, 'leftImg8bit',
                              stem + half.IMG_SUFFIX),
                     osp.join(root, half.COPY_DIR, 'gtFine',
                              stem + half.COPY_LABEL_SUFFIX)))
    return jobs


def _remove_earlier_format(root, split):
    """Delete the PNG labels an earlier version wrote into the copy (its
    own derived files; the originals are never touched), saying so."""
    old = glob.glob(osp.join(root, half.COPY_DIR, 'gtFine', split, '*',
                             '*' + half.LABEL_SUFFIX))
    for path in old:
        os.remove(path)
    if old:
        print(f'{split}: removed {len(old)} PNG labels of the earlier format '
              f'from {osp.join(root, half.COPY_DIR, "gtFine", split)}')


def main(argv=None):
    args = build_parser().parse_args(argv)
    from fcn_plugin.tooling.builder import load_config
    cfg = load_config(args.config)
    scale = tuple(cfg.half_resolution)
    load_step = cfg.load_image.to_dict()
    if not osp.isdir(args.data_root):
        raise UserInputError(
            f'{args.data_root} does not exist: unpack '
            'leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip there '
            '(README, Data)')
    failed = 0
    for split in args.splits:
        prefix = osp.join('leftImg8bit', split)
        marker = half.done_marker(args.data_root, prefix)
        state = half.copy_state(args.data_root, prefix)
        if state == 'complete':
            print(f'{split}: already complete ({marker})')
            continue
        if state == 'stale':
            print(f'{split}: the copy is older than the originals or was '
                  'made in an earlier format; redoing the files whose '
                  'originals changed, and every file of another format')
            os.remove(marker)
            _remove_earlier_format(args.data_root, split)
        jobs = split_jobs(args.data_root, split)
        todo = [job for job in jobs if not is_current(job)]
        kept = f', {len(jobs) - len(todo)} already current' \
            if len(todo) < len(jobs) else ''
        problems = []
        with WorkerPool(args.workers, len(todo), _init_worker,
                        (scale, load_step), f'{split} images') as pool, \
                Progress(len(todo), f'{split} images') as progress:
            print(f'{split}: {len(todo)} of {len(jobs)} images to write at '
                  f'{scale[1]}x{scale[0]} (HxW){kept} ({pool.size} '
                  'processes)', flush=True)
            for problem in pool.map(convert, todo, chunksize=4):
                if problem:
                    problems.append(problem)
                progress.update()
        if problems:
            failed += len(problems)
            print(f'{split}: {len(problems)} problem(s); the split is not '
                  'marked complete:')
            print('\n'.join(f'  {p}' for p in problems[:20]))
            continue
        write_json(marker, dict(samples=len(jobs), scale=list(scale),
                                **half.marker_record(args.data_root, prefix)))
        print(f'{split}: done; the Cityscapes configs now read '
              f'{osp.join(args.data_root, half.copy_prefix(prefix))}')
    if failed:
        raise UserInputError(f'{failed} problem(s) listed above; fix them '
                             'and run again (finished files are kept)')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
