#!/usr/bin/env python
"""Time training iterations (forward, backward, SGD step) of each row
config at its real crop size and batch; on a GPU, whether it is input-bound.

    python benchmarks/train_iteration.py --batch 8 [--cpu-dtype bfloat16]
    python benchmarks/train_iteration.py --data synthetic loader --channels-last off on

Uses the config's own model, optimizer wrapper (AMP rows: fp16 on a GPU) and
loss via ``model.train_step``. ``synthetic``: one batch already on the
device, reused; ``loader``: the config's real train DataLoader (one worker
per core) over generated data in the real layout (Cityscapes at 1024x2048,
prepared with tools/prepare_cityscapes.py). A row whose loader rate is below
90 % of its synthetic rate is input-bound. The first iteration is a warm-up;
the median of the next ``--iters`` is reported. Without a GPU it runs on the
CPU and says so.
"""
import argparse
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
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
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--configs', nargs='+', default=ROWS)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--iters', type=int, default=2)
    parser.add_argument('--data', nargs='+', default=['synthetic'],
                        choices=['synthetic', 'loader'])
    parser.add_argument('--channels-last', nargs='+', default=['off'],
                        choices=['off', 'on'])
    parser.add_argument('--cpu-dtype', default='float32',
                        choices=['bfloat16', 'float32'],
                        help='mixed-precision rows on CPU (float32 '
                        'as the README table: bf16 autocast is ~27x slower '
                        'on CPUs without native bf16)')
    return parser.parse_args()


def generated_data(name, tmp):
    """A data root in the row's real layout (prepared, for Cityscapes)."""
    from fcn_plugin.synthetic_data import (make_cityscapes_sample,
                                           make_voc_sample)
    if 'voc' in name:
        return make_voc_sample(tmp, num_train=64, num_val=2,
                               size_range=(330, 500))
    root = make_cityscapes_sample(tmp, num_train=32, num_val=2,
                                  size=(1024, 2048))
    subprocess.run([sys.executable, osp.join(REPO, 'tools',
                                             'prepare_cityscapes.py'), root],
                   check=True, stdout=subprocess.DEVNULL)
    return root


def batches(name, cfg, data, args, tmp):
    """An endless iterator of training batches for ``data``."""
    if data == 'synthetic':
        h, w = cfg.crop_size
        classes = cfg.model.decode_head.num_classes
        gen = torch.Generator().manual_seed(0)
        batch = dict(
            inputs=[torch.randint(0, 256, (3, h, w), generator=gen,
                                  dtype=torch.uint8)
                    for _ in range(args.batch)],
            data_samples=[SegDataSample(gt_sem_seg=PixelData(
                data=torch.randint(0, classes, (1, h, w), generator=gen)))
                for _ in range(args.batch)])
        while True:
            yield batch
    from mmengine.runner import Runner
    loader_cfg = cfg.train_dataloader
    loader_cfg.update(batch_size=args.batch, num_workers=os.cpu_count())
    loader_cfg.dataset.data_root = generated_data(name, tmp)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    while True:
        yield from loader


def time_row(name, args, device, data, channels_last, tmp):
    cfg = load_config(osp.join(REPO, 'configs', name))
    cfg.model.backbone.init_cfg = None
    if cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper' and \
            device == 'cpu':
        cfg.optim_wrapper.cpu_dtype = args.cpu_dtype
    # one process: SyncBN -> BatchNorm, as mmengine's Runner does
    model = revert_sync_batchnorm(build_segmentor(cfg)).to(device).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    source = batches(name, cfg, data, args, tmp)
    times = []
    for _ in range(args.iters + 1):
        bm.synchronize(device)
        start = time.perf_counter()
        model.train_step(next(source), optim_wrapper)
        bm.synchronize(device)
        times.append(time.perf_counter() - start)
    precision = type(optim_wrapper).__name__
    if device == 'cpu' and precision == 'MixedPrecisionOptimWrapper':
        precision += f' ({"float32" if optim_wrapper.cpu_fp32 else "bf16"})'
    return statistics.median(times[1:]), precision


def main():
    args = parse_args()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if device == 'cpu':
        print('No GPU: these are CPU figures (R101 at batch 8 takes tens of '
              'seconds per iteration here).')
    print(f'device: {bm.device_name(device)}; torch {torch.__version__}; '
          f'batch {args.batch}; median of {args.iters} after 1 warm-up\n')
    print('| config | crop | optimizer wrapper | data | channels_last | '
          's / iteration | iterations/s |')
    print('|---|---|---|---|---|---|---|')
    tmp = tempfile.mkdtemp()
    for name in args.configs:
        crop = load_config(osp.join(REPO, 'configs', name)).crop_size
        rates = {}
        for data in args.data:
            for layout in args.channels_last:
                seconds, precision = time_row(name, args, device, data,
                                              layout == 'on', tmp)
                rates[data, layout] = 1 / seconds
                print(f'| {name} | {crop[0]}x{crop[1]} | {precision} | '
                      f'{data} | {layout} | {seconds:.3g} | '
                      f'{1 / seconds:.3g} |', flush=True)
        for layout in args.channels_last:
            if ('loader', layout) in rates and ('synthetic', layout) in rates:
                ratio = rates['loader', layout] / rates['synthetic', layout]
                verdict = 'INPUT-BOUND' if ratio < 0.9 else 'not input-bound'
                print(f'  {name}, channels_last {layout}: loader at '
                      f'{100 * ratio:.0f} % of synthetic: {verdict}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
