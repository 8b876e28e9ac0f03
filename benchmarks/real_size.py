#!/usr/bin/env python
"""Each stage a user runs, on generated datasets at the real datasets' sizes.

    python benchmarks/real_size.py                     # VOC and Cityscapes, full size
    python benchmarks/real_size.py --scale 0.1         # a tenth of the images
    python benchmarks/real_size.py --datasets voc --stages check infer

Datasets, in the real layouts and at the real image and file sizes: VOC
trainaug (10,582 + 1,449 val JPEGs of 500x375, ~100 KB each) and Cityscapes
(2,975 + 500 frames of 2048x1024, ~2.2 MB PNGs; 6.8 GB with labels);
``--scale`` multiplies the image counts. Each stage is the user's own
command, run as a separate process: ``prepare_cityscapes.py`` (and its
rerun), ``check_dataset.py`` on one process and on every core, the first
training iteration, ``--resume`` at a late iteration (98 % of the row's
schedule), ``tools/test.py`` over the whole val set, ``tools/infer.py`` over
folders of two sizes (``--infer-sizes``). Training, testing and inference use
the tests' tiny dilated ResNet-18 (the stages' costs outside the model are
what is measured); ``--stages r101`` trains each row as configured (R101,
batch 8) for 2 iterations: its memory and time an iteration.
For each stage: wall time, samples/s, and the peak memory of the process
tree (the sum of its processes' proportional set sizes, sampled every
0.1 s), then the ratios the docs quote.
"""
import multiprocessing
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tests'))
sys.path.insert(0, REPO)

from conftest import TINY_MODEL  # noqa: E402

from fcn_plugin.errors import UserInputError  # noqa: E402
from fcn_plugin.tooling.cli import user_errors  # noqa: E402
from fcn_plugin.tooling.arguments import (  # noqa: E402
    ToolParser, positive_number, whole_number)
from fcn_plugin.tooling.benchmark import checkpoint_at  # noqa: E402
from fcn_plugin.tooling.synthetic_data import (  # noqa: E402
    CITYSCAPES_LABEL_IDS, cityscapes_paths, draw_sample)

STAGES = ('prepare', 'check', 'train', 'resume', 'test', 'infer', 'r101')
DEFAULT_STAGES = STAGES[:-1]
DATASETS = {  # the real sizes: images per split, (height, width), schedule
    'voc': dict(config='fcn_r101_voc_321.py', train=10582, val=1449,
                size=(375, 500), max_iters=39690, infer_sizes=(50, 1000),
                rows=('fcn_r101_voc_321.py', 'fcn_r101_voc_321_fp32.py')),
    'cityscapes': dict(config='fcn_r101_cityscapes_256x512.py', train=2975,
                       val=500, size=(1024, 2048), max_iters=22320,
                       infer_sizes=(10, 100),
                       rows=('fcn_r101_cityscapes_256x512.py',)),
}
ITERATION_TIME = re.compile(r'Iter\(train\) \[\s*(\d+)/\d+\].*?\stime: ([\d.]+)')


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_argument('--datasets', nargs='+', choices=sorted(DATASETS),
                        default=sorted(DATASETS, reverse=True))
    parser.add_argument('--stages', nargs='+', choices=STAGES,
                        default=list(DEFAULT_STAGES),
                        help='r101: each row as configured (R101, batch 8), '
                        '2 iterations: its memory and time an iteration '
                        '(a minute an iteration on a CPU)')
    parser.add_argument('--scale', type=positive_number, default=1.0,
                        help='fraction of the real image counts')
    parser.add_argument('--infer-sizes', type=whole_number(1), nargs=2,
                        default=None,
                        help="images per infer run (default: the dataset's "
                        'VOC 50 1000, Cityscapes 10 100)')
    parser.add_output('--root', kind='workdir', default=None,
                        help='where the data is generated (default: a '
                        'temporary folder, removed at the end); reused if '
                        'it is there')
    return parser


# ---- generated data in the real layouts ------------------------------------

def _write_pair(job):
    """One generated image and label; ``voc``: a JPEG and a class-index PNG,
    else a Cityscapes PNG frame and its raw ``labelIds`` PNG."""
    img_path, seg_path, index, (height, width), voc = job
    rng = np.random.default_rng([int(voc), index])
    if voc:
        img, label = draw_sample(rng, height, width, list(range(1, 9)))
        cv2.imwrite(img_path, img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    else:
        img, label = draw_sample(rng, height, width, CITYSCAPES_LABEL_IDS[:8],
                                 void_outline=False, background=(80, 84))
        cv2.imwrite(img_path, img)
    cv2.imwrite(seg_path, label)


def make_voc(root, counts, size):
    """``root/VOC2012``: JPEGImages, SegmentationClassAug, trainaug/val."""
    voc = osp.join(root, 'VOC2012')
    for sub in ('JPEGImages', 'SegmentationClassAug',
                'ImageSets/Segmentation'):
        os.makedirs(osp.join(voc, sub), exist_ok=True)
    jobs, index = [], 0
    for split, count in counts.items():
        names = [f'2007_{index + i:06d}' for i in range(count)]
        jobs += [(osp.join(voc, 'JPEGImages', n + '.jpg'),
                  osp.join(voc, 'SegmentationClassAug', n + '.png'),
                  index + i, size, True) for i, n in enumerate(names)]
        index += count
        with open(osp.join(voc, 'ImageSets/Segmentation',
                           f'{"trainaug" if split == "train" else split}.txt'),
                  'w') as f:
            f.writelines(n + '\n' for n in names)
    return voc, _generate(jobs)


def make_cityscapes(root, counts, size):
    """``root/cityscapes``: leftImg8bit and gtFine ``*_labelIds.png``."""
    city_root = osp.join(root, 'cityscapes')
    jobs = [(img, seg, index, size, False) for index, (img, seg) in
            enumerate(cityscapes_paths(city_root, counts))]
    return city_root, _generate(jobs)


def _generate(jobs):
    """Write the pairs not there yet, on every core; return the images."""
    todo = [j for j in jobs if not (osp.exists(j[0]) and osp.exists(j[1]))]
    if todo:
        with multiprocessing.Pool(len(os.sched_getaffinity(0))) as pool:
            for _ in pool.imap_unordered(_write_pair, todo, chunksize=8):
                pass
    return [j[0] for j in jobs]


def folder_bytes(folder):
    return sum(osp.getsize(osp.join(d, f)) for d, _, files in os.walk(folder)
               for f in files)


# ---- measuring a command -----------------------------------------------------

def _children(pid):
    """Every descendant of ``pid`` (from /proc)."""
    parents = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as f:
                    fields = f.read().rsplit(')', 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += parents.get(current, [])
    return tree


def _pss_bytes(pid):
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                if line.startswith('Pss:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measured(command, log):
    """Run ``command``; return (wall s, peak PSS of its process tree in
    bytes). Its output goes to ``log``; a failure stops the benchmark."""
    start = time.perf_counter()
    with open(log, 'w') as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                cwd=REPO)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, sum(_pss_bytes(p) for p in _children(proc.pid)))
            time.sleep(0.1)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        with open(log) as f:
            sys.exit(f'{" ".join(command)} exited {proc.returncode}:\n'
                     f'{f.read()[-3000:]}')
    return wall, peak


def tool(name, *args):
    return [sys.executable, osp.join(REPO, 'tools', name), *args]


# ---- the stages ----------------------------------------------------------------

def run_dataset(name, args, root, report):
    spec = DATASETS[name]
    counts = {split: max(2, round(spec[split] * args.scale))
              for split in ('train', 'val')}
    start = time.perf_counter()
    make = make_voc if name == 'voc' else make_cityscapes
    data_root, images = make(osp.join(root, name), counts, spec['size'])
    height, width = spec['size']
    print(f'\n## {name}: {counts["train"]:,} train + {counts["val"]:,} val '
          f'images of {width}x{height}, {folder_bytes(data_root) / 2**20:,.0f} '
          f'MiB (generated in {time.perf_counter() - start:.0f} s)\n',
          flush=True)
    print('| stage | samples | wall (s) | samples/s | peak memory (MiB) |')
    print('|---|---|---|---|---|', flush=True)
    config = osp.join(REPO, 'configs', spec['config'])
    roots = [f'{s}_dataloader.dataset.data_root={data_root}'
             for s in ('train', 'val', 'test')]
    work = osp.join(root, f'{name}_runs')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    total = counts['train'] + counts['val']
    results = {}

    def stage(label, samples, command):
        log = osp.join(work, f'{len(results)}.log')
        wall, peak = measured(command, log)
        results[label] = (samples, wall, peak)
        print(f'| {label} | {samples:,} | {wall:.1f} | {samples / wall:.1f} '
              f'| {peak / 2**20:,.0f} |', flush=True)
        return wall, peak, log

    if 'prepare' in args.stages and name == 'cityscapes':
        stage('prepare_cityscapes.py', total,
              tool('prepare_cityscapes.py', data_root))
        stage('prepare_cityscapes.py, rerun (nothing to do)', total,
              tool('prepare_cityscapes.py', data_root))
    if 'check' in args.stages:
        cores = len(os.sched_getaffinity(0))
        what = ' (the half-resolution copy)' if osp.isdir(
            osp.join(data_root, 'half_resolution')) else ''
        one, _, _ = stage(f'check_dataset.py{what} --workers 1', total,
                       tool('check_dataset.py', config, '--data-root',
                            data_root, '--workers', '1'))
        every, _, _ = stage(f'check_dataset.py{what} --workers {cores}',
                            total,
                         tool('check_dataset.py', config, '--data-root',
                              data_root, '--workers', str(cores)))
        report.append(f'{name}: check_dataset.py on {cores} cores is '
                      f'{one / every:.2f}x one process')
    short = [*TINY_MODEL, *roots, 'train_dataloader.batch_size=8']
    first = osp.join(work, 'first')
    checkpoint = osp.join(first, 'iter_1.pth')
    if {'train', 'resume', 'test', 'infer'} & set(args.stages):
        stage('train.py: start-up + first iteration (batch 8)', 8,
              tool('train.py', config, '--work-dir', first, '--cfg-options',
                   *short, 'train_cfg.max_iters=1', 'train_cfg.val_begin=2'))
    if 'resume' in args.stages:
        late = round(spec['max_iters'] * 0.98)
        resumed = osp.join(work, 'resumed')
        checkpoint_at(checkpoint, late, late + 1, resumed)
        stage(f'train.py --resume at iteration {late:,} + 1 iteration', 8,
              tool('train.py', config, '--work-dir', resumed, '--resume',
                   '--cfg-options', *short, f'train_cfg.max_iters={late + 1}',
                   f'train_cfg.val_begin={late + 2}'))
    if 'test' in args.stages:
        stage('test.py over the val set', counts['val'],
              tool('test.py', config, checkpoint, '--work-dir',
                   osp.join(work, 'test'), '--cfg-options', *TINY_MODEL,
                   *roots))
    if 'infer' in args.stages:
        peaks = []
        for size in args.infer_sizes or spec['infer_sizes']:
            photos = osp.join(work, f'photos_{size}')
            os.makedirs(photos)
            for i in range(size):  # the generated images, as often as needed
                source = images[i % len(images)]
                os.symlink(source, osp.join(
                    photos, f'{i:06d}{osp.splitext(source)[1]}'))
            _, peak, _ = stage(f'infer.py over {size:,} images', size,
                            tool('infer.py', config, checkpoint, photos,
                                 '--out', osp.join(work, f'out_{size}'),
                                 '--cfg-options', *TINY_MODEL))
            peaks.append((size, peak))
        (small, low), (large, high) = peaks
        report.append(f'{name}: infer.py peak memory over {large:,} images '
                      f'is {high / low:.2f}x that over {small:,}')
    for row in spec['rows'] if 'r101' in args.stages else ():
        _, peak, log = stage(
            f'train.py {row} as configured (R101), 2 iterations', 16,
            tool('train.py', osp.join(REPO, 'configs', row), '--work-dir',
                 osp.join(work, row), '--cfg-options', *roots,
                 'model.backbone.init_cfg=None', 'train_cfg.max_iters=2',
                 'train_cfg.val_begin=3', 'default_hooks.logger.interval=1'))
        with open(log) as f:
            times = dict(ITERATION_TIME.findall(f.read()))
        report.append(f'{name}: {row} (R101, batch 8): {float(times["2"]):.1f}'
                      f' s an iteration (the second), peak memory '
                      f'{peak / 2**30:.1f} GiB')


MARK = '.real_size_benchmark'  # in a --root this script made


def claim_root(root):
    """Make ``root`` this benchmark's folder (new, empty or made by it
    before); anything else stops the run: it writes split files and removes
    its run folders there."""
    if osp.exists(root) and not osp.isdir(root):
        raise UserInputError(f'--root {root} is a file: give a new or empty '
                             'folder')
    if osp.isdir(root) and os.listdir(root) and \
            not osp.exists(osp.join(root, MARK)):
        raise UserInputError(
            f'--root {root} holds files this benchmark did not make (it '
            'writes split files and removes its runs there): give a new or '
            'empty folder.')
    os.makedirs(root, exist_ok=True)
    open(osp.join(root, MARK), 'a').close()


def main():
    args = build_parser().parse_args()
    # absolute: the stages run from the checkout, not from here
    root = osp.abspath(args.root or tempfile.mkdtemp(prefix='real_size_'))
    claim_root(root)
    print(f'# Real-size stages ({len(os.sched_getaffinity(0))} cores, '
          f'torch {torch.__version__}, scale {args.scale}; data in {root})')
    report = []
    try:
        for name in args.datasets:
            run_dataset(name, args, root, report)
    finally:
        if not args.root:
            shutil.rmtree(root, ignore_errors=True)
    print('\n' + '\n'.join(report))
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
