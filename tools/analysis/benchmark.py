#!/usr/bin/env python
"""Inference FPS, measured the reference's "simple" way by default.

Batch 1, constant input on the device, eval mode, --warmup forwards, then
--iters timed forwards each followed by the bilinear upsample to (H, W)
(align_corners=True), synchronised before and after; best of --repeat trials.

    python tools/analysis/benchmark.py configs/fcn_r101_cityscapes_256x512.py --shape 512 1024
    python tools/analysis/benchmark.py CONFIG CKPT --shape 256 512 --amp --channels-last
    python tools/analysis/benchmark.py CONFIG --real --iters 50   # val images

Speed-up flags, each measured, never assumed: --amp (fp16 on CUDA, bf16 on
CPU), --channels-last, --fuse-bn (fold BN into convs), --compile
(torch.compile), --batch N (FPS counts images).
"""
import sys
import time

import torch

from fcn_plugin.tooling import benchmark as bm
from fcn_plugin.tooling.arguments import (DEVICE_HELP, ToolParser,
                                          default_device, whole_number)
from fcn_plugin.tooling.output_files import write_json
from fcn_plugin.tooling.cli import (CfgOptionsAction, check_device,
                            load_checked_config, user_errors)
from fcn_plugin.errors import UserInputError
from fcn_plugin.tooling.builder import build_segmentor


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('config')
    parser.add_input('checkpoint', nargs='?',
                     help='weights; random weights when left out')
    parser.add_argument('--shape', type=whole_number(8), nargs=2, default=[256, 512],
                        metavar=('H', 'W'), help='input size')
    parser.add_argument('--device', default=default_device(),
                        help=DEVICE_HELP)
    parser.add_argument('--warmup', type=whole_number(0), default=10,
                        help='untimed forwards per trial')
    parser.add_argument('--iters', type=whole_number(1), default=300,
                        help='timed forwards per trial')
    parser.add_argument('--repeat', type=whole_number(1), default=3,
                        help='trials; the best is reported')
    parser.add_argument('--batch', type=whole_number(1), default=1,
                        help='batch size')
    parser.add_argument('--amp', action='store_true',
                        help='autocast: fp16 on CUDA, bf16 on CPU')
    parser.add_argument('--channels-last', action='store_true',
                        help='channels_last memory format')
    parser.add_argument('--fuse-bn', action='store_true',
                        help='fold BN into the convolutions')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the model')
    parser.add_argument('--real', action='store_true',
                        help='time loading the val images through the test '
                        'pipeline, separately from the forward')
    parser.add_argument('--backend', default='torch',
                        choices=['torch', 'onnxruntime'],
                        help='onnxruntime: time --onnx (fp32 or int8, from '
                        'tools/deployment/) on the CPU')
    parser.add_input('--onnx', help='model for --backend onnxruntime')
    parser.add_output('--json', help='also write the results here')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='config overrides, KEY=VALUE')
    return parser


def real_mode(cfg, model, forward, device, args):
    """The reference's "real" mode: val images through the test pipeline."""
    from mmseg.registry import DATASETS
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    count = min(args.iters, len(dataset))
    load_time = forward_time = 0.0
    for i in range(count):
        start = time.perf_counter()
        data = dataset[i]
        load_time += time.perf_counter() - start
        batch = model.data_preprocessor(
            dict(inputs=[data['inputs']], data_samples=[data['data_samples']]))
        x = batch['inputs'].to(device)
        if args.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        bm.synchronize(device)
        start = time.perf_counter()
        bm.predict(forward, x, args.amp)
        bm.synchronize(device)
        forward_time += time.perf_counter() - start
    return dict(images=count, loading_fps=count / load_time,
                forward_fps=count / forward_time)


def onnxruntime_mode(args):
    """The same protocol for an ONNX model in ONNX Runtime (CPU)."""
    import os.path as osp
    if not args.onnx or not osp.isfile(args.onnx):
        raise UserInputError('--backend onnxruntime needs --onnx FILE (made '
                             'by tools/deployment/export_onnx.py)')
    from fcn_plugin.deploy.onnx_export import ort_session
    session = ort_session(args.onnx, threads=torch.get_num_threads())
    x = bm.make_input(args.shape, args.batch, 'cpu').numpy()
    result = dict(config=args.config, weights=args.onnx, device='cpu',
                  device_name=bm.device_name('cpu'), backend='onnxruntime',
                  shape=args.shape, batch=args.batch, warmup=args.warmup,
                  iters=args.iters)
    print(f'weights: {args.onnx}\ndevice: {result["device_name"]}\n'
          'backend: onnxruntime (CPUExecutionProvider)')
    trials = []
    for trial in range(args.repeat):
        trials.append(bm.time_steps(
            lambda: session.run(None, {'input': x}), args.batch, 'cpu',
            args.warmup, args.iters))
        print(f'trial {trial + 1}/{args.repeat}: {trials[-1]:.2f} FPS',
              flush=True)
    result.update(trials=trials, fps=max(trials))
    print(f'FPS: {result["fps"]:.2f}')
    if args.json:
        print(write_json(args.json, result))
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    device = args.device
    check_device(device)
    if args.backend == 'onnxruntime':
        return onnxruntime_mode(args)
    cfg = load_checked_config(args.config, args.cfg_options)
    model = build_segmentor(cfg)
    if args.checkpoint:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, args.checkpoint, map_location='cpu',
                        strict=True)
    weights = args.checkpoint or 'random weights (no checkpoint given)'
    forward = bm.prepare_model(model, device, args.channels_last,
                               args.fuse_bn, args.compile)
    dtype = ('float16' if device.startswith('cuda') else 'bfloat16') \
        if args.amp else 'float32'
    result = dict(config=args.config, weights=weights, device=device,
                  device_name=bm.device_name(device), dtype=dtype,
                  torch=torch.__version__, shape=args.shape, batch=args.batch,
                  channels_last=args.channels_last, fuse_bn=args.fuse_bn,
                  compile=args.compile, warmup=args.warmup, iters=args.iters)
    print(f'weights: {weights}\ndevice: {result["device_name"]}\n'
          f'dtype: {dtype}\ntorch: {torch.__version__}')
    if args.real:
        result.update(real_mode(cfg, model, forward, device, args))
        print(f'real mode over {result["images"]} val images: loading '
              f'{result["loading_fps"]:.2f} img/s, forward '
              f'{result["forward_fps"]:.2f} img/s')
        fps = result['forward_fps']
    else:
        x = bm.make_input(args.shape, args.batch, device, args.channels_last)
        per_forward = bm.seconds_per_forward(forward, x, args.amp)
        total = args.repeat * (args.warmup + args.iters)
        print(f'one forward takes ~{per_forward:.3g} s: {args.repeat} '
              f'trial(s) x ({args.warmup} warm-up + {args.iters} timed) = '
              f'{total} forwards, ~{total * per_forward / 60:.1f} min '
              '(fewer: --iters, --repeat)', flush=True)
        trials = []
        with bm.peak_memory(device, result):
            for trial in range(args.repeat):
                trials.append(bm.time_fps(
                    forward, x, args.warmup, args.iters, args.amp,
                    report=lambda done, n, t=trial: print(
                        f'  trial {t + 1}: {done}/{n} forwards', flush=True)))
                print(f'trial {trial + 1}/{args.repeat}: {trials[-1]:.2f} FPS',
                      flush=True)
        result['trials'] = trials
        fps = max(trials)
        print(f'peak memory: {result["peak_mib"]:.0f} MiB')
    result['fps'] = fps
    print(f'FPS: {fps:.2f}')
    if args.json:
        print(write_json(args.json, result))
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
