#!/usr/bin/env python
"""Time training iterations (forward, backward, SGD step) of each row
config at its real crop size and batch; on a GPU, whether it is input-bound.

    python benchmarks/train_iteration.py --batch 8 [--cpu-dtype bfloat16]
    python benchmarks/train_iteration.py --data synthetic loader --channels-last off on

Uses the config's own model, optimizer wrapper (AMP rows: fp16 on a GPU) and
loss via ``model.train_step``. ``synthetic``: one batch already on the
device, reused; ``loader``: the config's real train DataLoader (one worker
per core) over generated data in the real layout (Cityscapes at 1024x2048,
prepared with tools/prepare_cityscapes.py). A row is input-bound when its
rate through the loader, or the loader's own rate, is below 90 % of its
synthetic rate. The first ``--warmup`` iterations are not timed; the mean
of the next ``--iters`` (each the wait for its batch plus the step) is
reported.
Without a GPU it runs on the CPU and says so.
"""
import os.path as osp
import sys
import tempfile

import torch

from fcn_plugin.tooling.arguments import (  # noqa: E402
    ToolParser, default_device, whole_number)
from fcn_plugin.tooling.cli import user_errors  # noqa: E402
from fcn_plugin.tooling import benchmark as bm
from fcn_plugin.tooling import train_benchmark as tb
from fcn_plugin.tooling.builder import load_config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROWS = ['fcn_r101_voc_321.py', 'fcn_r101_voc_321_fp32.py',
        'fcn_r101_cityscapes_256x512.py']


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('--configs', nargs='+', default=ROWS)
    parser.add_argument('--batch', type=whole_number(1), default=8)
    parser.add_argument('--iters', type=whole_number(1), default=2)
    parser.add_argument('--warmup', type=whole_number(0), default=1,
                        help='untimed iterations first (cuDNN autotuning, '
                        'allocator, lazy init)')
    parser.add_argument('--data', nargs='+', default=['synthetic'],
                        choices=['synthetic', 'loader'])
    parser.add_argument('--channels-last', nargs='+', default=['off'],
                        choices=['off', 'on'])
    parser.add_argument('--cpu-dtype', default='float32',
                        choices=['bfloat16', 'float32'],
                        help='mixed-precision rows on CPU (float32 '
                        'as the README table: bf16 autocast is ~27x slower '
                        'on CPUs without native bf16)')
    return parser


def time_row(name, args, device, data, channels_last, tmp):
    """Seconds per iteration, the optimizer wrapper's name, and (loader
    data) the DataLoader's own batches/s."""
    cfg = load_config(osp.join(REPO, 'configs', name))
    if cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper' and \
            device == 'cpu':
        cfg.optim_wrapper.cpu_dtype = args.cpu_dtype
    if channels_last:
        tb.with_fast_paths(cfg, ['channels_last'])
    if data == 'synthetic':
        source, alone = tb.synthetic_batches(cfg, args.batch), None
    else:
        loader = tb.build_loader(cfg, args.batch, tb.generated_data(name, tmp))
        source = tb.forever(loader)
        alone = tb.loader_rate(source, 2 * tb.prefetch_depth(loader) + 2)
    seconds, _, precision = tb.time_training(cfg, device, source, args.iters,
                                             args.warmup)
    return seconds, precision, alone


def main():
    args = build_parser().parse_args()
    device = default_device()
    if device == 'cpu':
        print('No GPU: these are CPU figures (R101 at batch 8 takes tens of '
              'seconds per iteration here).')
    print(f'device: {bm.device_name(device)}; torch {torch.__version__}; '
          f'batch {args.batch}; mean of {args.iters} after '
          f'{args.warmup} warm-up\n')
    print('| config | crop | optimizer wrapper | data | channels_last | '
          's / iteration | iterations/s |')
    print('|---|---|---|---|---|---|---|')
    tmp = tempfile.mkdtemp()
    for name in args.configs:
        crop = load_config(osp.join(REPO, 'configs', name)).crop_size
        rates = {}
        for data in args.data:
            for layout in args.channels_last:
                seconds, precision, alone = time_row(
                    name, args, device, data, layout == 'on', tmp)
                rates[data, layout] = 1 / seconds
                rates['alone', layout] = alone
                print(f'| {name} | {crop[0]}x{crop[1]} | {precision} | '
                      f'{data} | {layout} | {seconds:.3g} | '
                      f'{1 / seconds:.3g} |', flush=True)
        for layout in args.channels_last:
            if ('loader', layout) in rates and ('synthetic', layout) in rates:
                verdict = tb.verdict(rates['synthetic', layout],
                                     rates['loader', layout],
                                     rates['alone', layout])
                print(f'  {name}, channels_last {layout}: {verdict}')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
