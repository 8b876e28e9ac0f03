#!/usr/bin/env python
"""Input-pipeline throughput of each row, before and after
tools/prepare_cityscapes.py, on generated data in the real layouts.

    python benchmarks/data_pipeline.py [--seconds 5] [--workers N]

Prints, for the VOC rows and the Cityscapes row, train and val pipelines:
samples/s in one process (no DataLoader) and through mmengine's DataLoader
with N worker processes (default: all cores), on the original files
("before") and on the half-resolution copy ("after"; VOC has no copy).
Cityscapes images are generated at the real 1024x2048. A first table times
decoding one 512x1024 image in each candidate storage format.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time

import cv2
import mmcv
import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from fcn_plugin.tooling.builder import load_config  # noqa: E402
from fcn_plugin.datasets import SampleKey  # noqa: E402
from fcn_plugin.tooling.synthetic_data import (make_cityscapes_sample,  # noqa: E402
                                       make_voc_sample)

ROWS = {'VOC (rows 1, 2)': 'fcn_r101_voc_321.py',
        'Cityscapes (row 3)': 'fcn_r101_cityscapes_256x512.py'}


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--seconds', type=float, default=5,
                        help='time per measurement')
    parser.add_argument('--workers', type=int, default=os.cpu_count())
    return parser.parse_args()


def rate(step, seconds):
    """Calls of ``step`` per second (after one warm-up call)."""
    step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        count += 1
    return count / (time.perf_counter() - start)


def format_table(seconds):
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (64, 128, 3), dtype=np.uint8)
    img = cv2.resize(small, (1024, 512), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img + rng.integers(-10, 11, img.shape), 0, 255).astype(
        np.uint8)
    tmp = tempfile.mkdtemp()
    npy = osp.join(tmp, 'a.npy')
    np.save(npy, img)
    print('| storage of a 512x1024 image | MB | decode ms |\n|---|---|---|')
    for name, ext, params in (('PNG, OpenCV default (level 1)', '.png', []),
                              ('PNG level 0 (no compression)', '.png',
                               [cv2.IMWRITE_PNG_COMPRESSION, 0]),
                              ('BMP (chosen)', '.bmp', [])):
        data = cv2.imencode(ext, img, params)[1].tobytes()
        ms = 1000 / rate(lambda: mmcv.imfrombytes(data), seconds / 3)
        print(f'| {name} | {len(data) / 2**20:.2f} | {ms:.2f} |')
    ms = 1000 / rate(lambda: np.load(npy, mmap_mode='r')[:].copy(),
                     seconds / 3)
    print(f'| memory-mapped .npy (needs its own loader) | '
          f'{osp.getsize(npy) / 2**20:.2f} | {ms:.2f} |\n', flush=True)


def measure(cfg_name, root, split, copy, args):
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    loader_cfg = load_config(osp.join(REPO, 'configs', cfg_name))[
        f'{split}_dataloader']
    loader_cfg.dataset.data_root = root
    if copy is not None:
        loader_cfg.dataset.half_resolution_copy = copy
    dataset = DATASETS.build(loader_cfg.dataset)
    n = len(dataset)
    keys = [SampleKey(0, 0, i) if split == 'train' else i for i in range(n)]
    position = iter(range(10**9))
    one = rate(lambda: dataset[keys[next(position) % n]], args.seconds)
    loader_cfg.update(num_workers=args.workers, persistent_workers=True,
                      batch_size=8 if split == 'train' else 1)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batches = iter(())

    def next_batch():
        nonlocal batches
        try:
            return next(batches)
        except StopIteration:
            batches = iter(loader)
            return next(batches)

    many = rate(next_batch, args.seconds) * loader_cfg.batch_size
    return one, many


def main():
    args = parse_args()
    import fcn_plugin  # noqa: F401
    print(f'{os.cpu_count()} cores; {args.seconds:g} s per measurement\n')
    format_table(args.seconds)
    tmp = tempfile.mkdtemp()
    voc = make_voc_sample(tmp, num_train=32, num_val=16,
                          size_range=(330, 500))
    city = make_cityscapes_sample(tmp, num_train=16, num_val=8,
                                  size=(1024, 2048))
    print(f'generated data: {voc} (VOC-sized), {city} (1024x2048)',
          flush=True)
    results = {}
    for row, cfg in ROWS.items():
        root = voc if 'VOC' in row else city
        for split in ('train', 'val'):
            results[row, split, 'before'] = measure(
                cfg, root, split, None if 'VOC' in row else False, args)
    subprocess.run([sys.executable, osp.join(REPO, 'tools',
                                             'prepare_cityscapes.py'), city,
                    '--workers', str(args.workers)], check=True,
                   stdout=subprocess.DEVNULL)
    for split in ('train', 'val'):
        results['Cityscapes (row 3)', split, 'after'] = measure(
            ROWS['Cityscapes (row 3)'], city, split, True, args)
    print(f'\n| row | pipeline | 1 process before | 1 process after | '
          f'speed-up | {args.workers} workers before | {args.workers} '
          'workers after |\n|---|---|---|---|---|---|---|')
    for row in ROWS:
        for split in ('train', 'val'):
            one_b, many_b = results[row, split, 'before']
            one_a, many_a = results.get((row, split, 'after'),
                                        (one_b, many_b))
            after = (row, split, 'after') in results
            print(f'| {row} | {split} | {one_b:.1f} | '
                  f'{f"{one_a:.1f}" if after else "(no copy)"} | '
                  f'{one_a / one_b:.1f}x | {many_b:.1f} | '
                  f'{f"{many_a:.1f}" if after else "(no copy)"} |')
    print('\nsamples/s; "1 process": dataset[i] in a loop, per core; '
          '"workers": mmengine DataLoader, persistent workers.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
