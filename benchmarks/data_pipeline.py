#!/usr/bin/env python
"""Input-pipeline throughput of each row, before and after
tools/prepare_cityscapes.py, on generated data in the real layouts.

    python benchmarks/data_pipeline.py [--seconds 5] [--workers N]

Prints, for the VOC rows and the Cityscapes row, train and val pipelines:
samples/s in one process pinned to one core (no DataLoader; the best of 5
trials taken in turns) and through
mmengine's DataLoader with N worker processes (default: all cores), on the
original files ("before") and on the half-resolution copy ("after"; VOC has
no copy), and checks that every Cityscapes sample of the copy is bitwise
the one of the originals. Cityscapes images are generated at the real
1024x2048. A first table times decoding one 512x1024 image in each
candidate storage format.
"""
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

from fcn_plugin.tooling.arguments import (  # noqa: E402
    ToolParser, positive_number, whole_number)
from fcn_plugin.tooling.cli import user_errors  # noqa: E402
from fcn_plugin.tooling.builder import load_config  # noqa: E402
from fcn_plugin.datasets import SampleKey  # noqa: E402
from fcn_plugin.tooling.synthetic_data import (make_cityscapes_sample,  # noqa: E402
                                       make_voc_sample)

ROWS = {'VOC (rows 1, 2)': 'fcn_r101_voc_321.py',
        'Cityscapes (row 3)': 'fcn_r101_cityscapes_256x512.py'}


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=positive_number, default=5,
                        help='time per measurement')
    parser.add_argument('--workers', type=whole_number(1),
                        default=os.cpu_count())
    return parser


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


def loader_config(cfg_name, root, split, copy):
    """The row's ``{split}_dataloader`` over ``root`` (``copy``: whether
    the Cityscapes dataset reads the half-resolution copy)."""
    loader_cfg = load_config(osp.join(REPO, 'configs', cfg_name))[
        f'{split}_dataloader']
    loader_cfg.dataset.data_root = root
    if copy is not None:
        loader_cfg.dataset.half_resolution_copy = copy
    return loader_cfg


def build_dataset(cfg_name, root, split, copy):
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    return DATASETS.build(loader_config(cfg_name, root, split, copy).dataset)


def sample_keys(split, n):
    return [SampleKey(0, 0, i) if split == 'train' else i for i in range(n)]


def one_core_rate(step, seconds):
    """:func:`rate` on one core: the process pinned to it, OpenCV and torch
    with one thread each (as in a DataLoader worker), so that neither
    spreads work over other cores nor spins for threads that cannot run."""
    import torch
    cores, threads = os.sched_getaffinity(0), (torch.get_num_threads(),
                                               cv2.getNumThreads())
    os.sched_setaffinity(0, {min(cores)})
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    try:
        return rate(step, seconds)
    finally:
        os.sched_setaffinity(0, cores)
        torch.set_num_threads(threads[0])
        cv2.setNumThreads(threads[1])


def identical_samples(cfg_name, root, split):
    """Whether every sample of the copy is bitwise that of the originals;
    the number compared."""
    import torch
    copy = build_dataset(cfg_name, root, split, True)
    original = build_dataset(cfg_name, root, split, False)
    same = 0
    for key in sample_keys(split, len(original)):
        a, b = copy[key], original[key]
        same += torch.equal(a['inputs'], b['inputs']) and torch.equal(
            a['data_samples'].gt_sem_seg.data,
            b['data_samples'].gt_sem_seg.data)
    return same == len(original), len(original)


def one_process(cases, args, trials=5):
    """Samples/s of ``dataset[key]`` in a loop on one core, for each case:
    the best of ``trials``, taken in turns over the cases (so that a slow
    moment of a shared machine does not fall on one case only)."""
    steps = {}
    for case, (cfg_name, root, split, copy) in cases.items():
        dataset = build_dataset(cfg_name, root, split, copy)
        keys = sample_keys(split, len(dataset))
        position = iter(range(10**9))
        steps[case] = (lambda dataset=dataset, keys=keys, position=position:
                       dataset[keys[next(position) % len(keys)]])
    best = dict.fromkeys(cases, 0.0)
    for _ in range(trials):
        for case, step in steps.items():
            best[case] = max(best[case],
                             one_core_rate(step, args.seconds / trials))
    return best


def with_workers(cfg_name, root, split, copy, args):
    """Samples/s through mmengine's DataLoader with persistent workers; the
    workers are shut down before it returns (their prefetching would load
    the cores during the next measurement)."""
    import gc

    from mmengine.runner import Runner

    from fcn_plugin.engine.concise_console_runner import fit_loaders
    loader_cfg = loader_config(cfg_name, root, split, copy)
    loader_cfg.update(num_workers=args.workers, persistent_workers=True,
                      batch_size=8 if split == 'train' else 1)
    fit_loaders({split: loader_cfg}, args.workers)  # as the runner does
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
    del batches, loader, next_batch
    gc.collect()  # the iterator's __del__ joins its workers
    return many


def main():
    args = build_parser().parse_args()
    import fcn_plugin  # noqa: F401
    print(f'{os.cpu_count()} cores; {args.seconds:g} s per measurement\n')
    format_table(args.seconds)
    tmp = tempfile.mkdtemp()
    voc = make_voc_sample(tmp, num_train=32, num_val=16,
                          size_range=(330, 500))
    city = make_cityscapes_sample(tmp, num_train=16, num_val=8,
                                  size=(1024, 2048))
    subprocess.run([sys.executable, osp.join(REPO, 'tools',
                                             'prepare_cityscapes.py'), city,
                    '--workers', str(args.workers)], check=True,
                   stdout=subprocess.DEVNULL)
    print(f'generated data: {voc} (VOC-sized), {city} (1024x2048, and its '
          'half-resolution copy)', flush=True)
    # (row, split, before/after) -> the dataset's data root and copy flag
    cases = {}
    for row, cfg in ROWS.items():
        for split in ('train', 'val'):
            if 'VOC' in row:
                cases[row, split, 'before'] = (cfg, voc, split, None)
            else:
                for when, copy in (('before', False), ('after', True)):
                    cases[row, split, when] = (cfg, city, split, copy)
    ones = one_process(cases, args)
    manys = {case: with_workers(*where, args)
             for case, where in cases.items()}
    results = {case: (ones[case], manys[case]) for case in cases}
    identical = {split: identical_samples(ROWS['Cityscapes (row 3)'], city,
                                          split) for split in ('train', 'val')}
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
    print('\nsamples/s; "1 process": dataset[i] in a loop, pinned to one '
          'core, best of 5 trials; "workers": mmengine DataLoader, '
          'persistent workers.')
    for split, (same, n) in identical.items():
        print(f'Cityscapes {split}: the copy\'s samples are '
              f'{"bitwise those of the originals" if same else "DIFFERENT"} '
              f'({n} compared)')
    speedup = results['Cityscapes (row 3)', 'train', 'after'][0] / \
        results['Cityscapes (row 3)', 'train', 'before'][0]
    print(f'Cityscapes train, per core: {speedup:.1f}x (goal >= 15x); VOC '
          f'train {results["VOC (rows 1, 2)", "train", "before"][0]:.0f} '
          'samples/s per core')
    return 0 if all(same for same, _ in identical.values()) else 1


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
