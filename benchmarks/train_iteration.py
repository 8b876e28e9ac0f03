#!/usr/bin/env python
"""Time one training iteration (forward, backward, SGD step) of each row
config at its real crop size and batch, on synthetic inputs.

    python benchmarks/train_iteration.py --batch 8 [--cpu-dtype bfloat16]

Uses the config's own model, optimizer wrapper and loss via
``model.train_step``; the first iteration is a warm-up and the median of the
next ``--iters`` is reported.
"""
import argparse
import os.path as osp
import statistics
import sys
import time

import torch
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from fcn_plugin import benchmark as bm
from fcn_plugin.builder import build_segmentor, load_config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROWS = ['fcn_r101_voc_321.py', 'fcn_r101_voc_321_fp32.py',
        'fcn_r101_cityscapes_256x512.py']


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', default=ROWS)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--iters', type=int, default=2)
    parser.add_argument('--cpu-dtype', default='float32',
                        choices=['bfloat16', 'float32'],
                        help='mixed-precision rows on CPU (default float32, '
                        'as the README table: bf16 autocast is ~27x slower '
                        'on CPUs without native bf16)')
    return parser.parse_args()


def time_row(name, args, device):
    cfg = load_config(osp.join(REPO, 'configs', name))
    cfg.model.backbone.init_cfg = None
    if cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper' and \
            device == 'cpu':
        cfg.optim_wrapper.cpu_dtype = args.cpu_dtype
    # one process: SyncBN -> BatchNorm, as mmengine's Runner does
    model = revert_sync_batchnorm(build_segmentor(cfg)).to(device).train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    h, w = cfg.crop_size
    classes = cfg.model.decode_head.num_classes
    gen = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[torch.randint(0, 256, (3, h, w), generator=gen,
                              dtype=torch.uint8) for _ in range(args.batch)],
        data_samples=[SegDataSample(gt_sem_seg=PixelData(
            data=torch.randint(0, classes, (1, h, w), generator=gen)))
            for _ in range(args.batch)])
    times = []
    for _ in range(args.iters + 1):
        bm.synchronize(device)
        start = time.perf_counter()
        model.train_step(data, optim_wrapper)
        bm.synchronize(device)
        times.append(time.perf_counter() - start)
    precision = type(optim_wrapper).__name__
    if device == 'cpu' and precision == 'MixedPrecisionOptimWrapper':
        precision += f' ({"float32" if optim_wrapper.cpu_fp32 else "bf16"})'
    return statistics.median(times[1:]), precision


def main():
    args = parse_args()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    print(f'device: {bm.device_name(device)}; torch {torch.__version__}; '
          f'batch {args.batch}; median of {args.iters} after 1 warm-up\n')
    print('| config | crop | optimizer wrapper | s / iteration |')
    print('|---|---|---|---|')
    for name in args.configs:
        seconds, precision = time_row(name, args, device)
        crop = load_config(osp.join(REPO, 'configs', name)).crop_size
        print(f'| {name} | {crop[0]}x{crop[1]} | {precision} | '
              f'{seconds:.3g} |', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
