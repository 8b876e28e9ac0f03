#!/usr/bin/env python
"""Regenerate the README's speed tables in one run (CPU or GPU).

(a) the plugin model vs the plain-PyTorch reference FCN (tests/reference_fcn.py)
    with the same weights, timed alternately at the same shape and threads,
    fp32: the mmseg wrapping must cost nothing (ratio >= 0.97);
(b) every speed-up flag vs plugin fp32: speed ratio, max |logit difference|,
    prediction agreement;
(c) peak memory of each mode.

    python benchmarks/speed_tables.py --shape 256 512 --iters 5 --repeat 3
"""
import os.path as osp
import sys

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tests'))

from reference_fcn import ReferenceFCN, randomize_  # noqa: E402

from fcn_plugin.tooling.arguments import (  # noqa: E402
    DEVICE_HELP, ToolParser, default_device, whole_number)
from fcn_plugin.tooling.cli import user_errors  # noqa: E402
from fcn_plugin.tooling import benchmark as bm  # noqa: E402
from fcn_plugin.weights import convert_fcn_state_dict  # noqa: E402
from fcn_plugin.tooling.builder import build_segmentor, load_config  # noqa

MODES = {  # name -> prepare_model / predict options
    'fp32': dict(),
    # CUDA runs fp32 convolutions in TF32 by default (cudnn.allow_tf32); the
    # reference's 2080 Ti has no TF32, so its "fp32" is this mode.
    'fp32 (TF32 off)': dict(tf32=False),
    'channels-last': dict(channels_last=True),
    'fuse-bn': dict(fuse_bn=True),
    'fuse-bn + channels-last': dict(fuse_bn=True, channels_last=True),
    'amp': dict(amp=True),
    'amp + channels-last': dict(amp=True, channels_last=True),
    'compile': dict(compile_model=True),
    'compile + fuse-bn': dict(compile_model=True, fuse_bn=True),
    'amp + compile': dict(amp=True, compile_model=True),
    # tools/deployment: exported graph in ONNX Runtime (CPU), fp32 and int8
    # (static QDQ, calibrated here on random inputs: speed only; agreement
    # on a trained model: benchmarks/int8_cpu.py)
    'onnxruntime fp32': dict(onnx='fp32'),
    'onnxruntime int8': dict(onnx='int8'),
}
DEFAULT_MODES = {
    'cpu': ['fp32', 'channels-last', 'fuse-bn', 'fuse-bn + channels-last',
            'amp', 'compile', 'compile + fuse-bn', 'onnxruntime fp32',
            'onnxruntime int8'],
    'cuda': ['fp32 (TF32 off)', 'fp32', 'channels-last', 'fuse-bn', 'amp',
             'amp + channels-last', 'compile', 'amp + compile'],
}


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('--config',
                     default=osp.join(REPO, 'configs',
                                         'fcn_r101_cityscapes_256x512.py'))
    parser.add_argument('--shape', type=whole_number(8), nargs=2,
                        default=[256, 512])
    parser.add_argument('--device', default=default_device(),
                        help=DEVICE_HELP)
    parser.add_argument('--warmup', type=whole_number(0), default=2)
    parser.add_argument('--iters', type=whole_number(1), default=5)
    parser.add_argument('--repeat', type=whole_number(1), default=3)
    parser.add_argument('--rounds', type=whole_number(1), default=3,
                        help='alternating rounds for table (a)')
    parser.add_argument('--modes', nargs='+', choices=list(MODES),
                        help='the first is the base of the ratios and '
                        'differences; None: all but the slow ones for the '
                        'device (CPU: fp32 first, CUDA: fp32 with TF32 off)')
    parser.add_argument('--reference-amp', action='store_true',
                        help='table (a) also compares both models under amp')
    return parser


def onnx_forward(plugin, x, precision):
    """The exported plugin in ONNX Runtime, as a ``forward``: its output is
    already at the input size (the upsample is in the graph), so the
    resize ``bm.predict`` adds is a no-op."""
    import tempfile

    from fcn_plugin.deploy import int8, onnx_export
    path = osp.join(tempfile.mkdtemp(), 'fp32.onnx')
    onnx_export.export(plugin, path, x.cpu())
    if precision == 'int8':
        int8.quantize(path, path[:-5] + '_int8.onnx', [torch.randn_like(x)])
        path = path[:-5] + '_int8.onnx'
    session = onnx_export.ort_session(path, torch.get_num_threads())
    return lambda inputs: torch.from_numpy(
        session.run(None, {'input': inputs.cpu().numpy()})[0])


def main():
    args = build_parser().parse_args()
    device = args.device
    cfg = load_config(args.config)
    plugin = build_segmentor(cfg)
    num_classes = cfg.model.decode_head.num_classes
    reference = randomize_(ReferenceFCN(num_classes), seed=0).eval()
    state, _ = convert_fcn_state_dict(reference.state_dict())
    plugin.load_state_dict(state, strict=True)  # same weights in both
    x = bm.make_input(args.shape, 1, device)
    print(f'device: {bm.device_name(device)}; torch {torch.__version__}; '
          f'input 1x3x{args.shape[0]}x{args.shape[1]}; {args.warmup} warm-up, '
          f'{args.iters} timed forwards per trial\n')

    # (a) plugin vs reference, alternating, same precision
    if device.startswith('cuda'):
        print(f'fp32 convolutions use TF32: {torch.backends.cudnn.allow_tf32}'
              ' (PyTorch default)\n')
    ref_fwd = bm.prepare_model(reference, device)
    plugin_fwd = bm.prepare_model(plugin, device)
    print('(a) plugin vs plain-PyTorch reference FCN, best of '
          f'{args.rounds} alternating rounds')
    print('| precision | reference (plain PyTorch) FPS | fcn_plugin (mmseg) '
          'FPS | ratio |\n|---|---|---|---|')
    for amp in [False, True][:1 + args.reference_amp]:
        ref_fps, plugin_fps = [], []
        for _ in range(args.rounds):
            ref_fps.append(bm.time_fps(ref_fwd, x, args.warmup, args.iters,
                                       amp))
            plugin_fps.append(bm.time_fps(plugin_fwd, x, args.warmup,
                                          args.iters, amp))
        if not amp:
            ref_fp32_fps = max(ref_fps)
        print(f'| {"amp" if amp else "fp32"} | {max(ref_fps):.2f} | '
              f'{max(plugin_fps):.2f} | {max(plugin_fps) / max(ref_fps):.3f} '
              '|', flush=True)
    print()

    # (b) + (c) speed-up modes vs the first mode (plugin fp32)
    modes = args.modes or DEFAULT_MODES[torch.device(device).type]
    rows, base_fps, expected = [], None, None
    for name in modes:
        opts = dict(MODES[name])
        amp = opts.pop('amp', False)
        result = {}
        with bm.peak_memory(device, result), bm.tf32(opts.pop('tf32', None)):
            if 'onnx' in opts:
                forward = onnx_forward(plugin, x, opts.pop('onnx'))
            else:
                forward = bm.prepare_model(plugin, device, **opts)
            xm = x.contiguous(memory_format=torch.channels_last) \
                if opts.get('channels_last') else x
            fps = max(bm.time_fps(forward, xm, args.warmup, args.iters, amp)
                      for _ in range(args.repeat))
            out = bm.predict(forward, xm, amp).float()
        base_fps = base_fps or fps
        expected = out if expected is None else expected
        diff = (out - expected).abs().max().item()
        agree = (out.argmax(1) == expected.argmax(1)).float().mean().item()
        rows.append((name, fps, fps / base_fps, fps / ref_fp32_fps, diff,
                     agree * 100, result['peak_mib']))
        print(f'  measured {name}: {fps:.2f} FPS', flush=True)
    print(f'\n(b, c) speed-up modes (plugin; ratios, logit differences and '
          f'agreement vs plugin {modes[0]}; speed also vs the reference fp32)')
    print(f'| mode | FPS | vs {modes[0]} | vs reference | max abs logit diff | '
          'pred. agreement | peak memory |')
    print('|---|---|---|---|---|---|---|')
    for name, fps, r_base, r_ref, diff, agree, mem in rows:
        print(f'| {name} | {fps:.2f} | {r_base:.2f}x | {r_ref:.2f}x | '
              f'{diff:.2e} | {agree:.2f} % | {mem:.0f} MiB |')
    keep = [r for r in rows if r[5] >= 99.5]
    best = max(keep, key=lambda r: r[1])
    print(f'\nfastest mode with >= 99.5 % agreement: {best[0]} '
          f'({best[3]:.2f}x the fp32 reference)')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
