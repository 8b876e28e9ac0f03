#!/usr/bin/env python
"""FLOPs and parameters of a config's model, also in the reference's convention.

Counts with mmengine's ``get_model_complexity_info`` (as mmseg's get_flops.py,
which fails with mmengine 0.10.7 in mmseg 1.2.2) over ``model._forward``:
backbone + head, logits at 1/8 resolution, final upsample not counted, as the
reference's thop count. mmengine counts one multiply-add as one "flop"; the
reference reports 2 x MACs, printed here as ``FLOPs(G)``.

    python tools/analysis/get_flops.py configs/fcn_r101_cityscapes_256x512.py --shape 256 512
"""
import sys

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count

from fcn_plugin.tooling.arguments import ToolParser, whole_number
from fcn_plugin.tooling.builder import build_segmentor
from fcn_plugin.tooling.cli import CfgOptionsAction, load_checked_config, user_errors
from fcn_plugin.tooling.output_files import write_json


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('config')
    parser.add_argument('--shape', type=whole_number(8), nargs=2, default=[256, 512],
                        metavar=('H', 'W'), help='input size (at least 8: '
                        'the model downsamples by 8)')
    parser.add_output('--json', help='also write the results here')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    return parser


def count(cfg, height, width):
    """``(macs, params, ops not counted)`` of ``cfg.model`` for a
    (1, 3, H, W) input: mmengine's counter, which ``get_model_complexity_info``
    (mmseg's get_flops) uses, without its per-op warnings."""
    model = build_segmentor(cfg).eval()
    inputs = torch.zeros(1, 3, height, width)
    with torch.no_grad():
        analyzer = FlopAnalyzer(model, inputs=(inputs, ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        macs = analyzer.total()
    return macs, parameter_count(model)[''], sorted(analyzer.unsupported_ops())


def main(argv=None):
    args = build_parser().parse_args(argv)
    cfg = load_checked_config(args.config, args.cfg_options)
    height, width = args.shape
    # mmseg's get_flops counts EncoderDecoder._forward (backbone + head);
    # forward(mode='tensor') is that same path.
    macs, params, skipped = count(cfg, height, width)
    split = '=' * 30
    print(f'{split}\nCompute type: direct: randomly generate a picture\n'
          f'Input shape: {(height, width)}\nFlops: {macs / 1e9:.3f}G\n'
          f'Params: {params / 1e6:.3f}M\n{split}')
    print(f'FLOPs(G): {2 * macs / 1e9:.2f}')
    print(f'Params(M): {params / 1e6:.2f}')
    # the reference's thop count leaves these out too: the totals agree
    print(f'not counted (no multiply-adds; nor in the reference\'s count): '
          f'{", ".join(op.replace("aten::", "") for op in skipped)}')
    if args.json:
        print(write_json(args.json, {
            'config': args.config, 'shape': [height, width],
            'flops_g': 2 * macs / 1e9, 'macs': macs, 'params': params,
            'params_m': params / 1e6}))
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
