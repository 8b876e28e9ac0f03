#!/usr/bin/env python
"""Export the segmentor's logits to ONNX and check them in ONNX Runtime.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT OUT.onnx [--images DIR]

The graph takes a normalized RGB image (N, 3, H, W; batch, height and width
dynamic) and returns the logits upsampled to (H, W) in the graph. Parity is
checked on images passed through the config's test pipeline (--images, or
else the config's val images when they are there, or else a random input):
logits within 1e-4 relative of PyTorch and the same argmax on >= 99.99 % of
pixels, or exit code 1. The model is written to a temporary file beside
OUT.onnx and renamed to it only once it passed that check: a failed check,
a full disk or an interruption leaves OUT.onnx as it was. OUT.onnx may not
be one of the inputs. Needs the [deploy] extra (onnx, onnxruntime).
"""
import sys

from fcn_plugin.tooling.arguments import ToolParser, whole_number
from fcn_plugin.tooling.cli import CfgOptionsAction, load_checked_config, user_errors
from fcn_plugin.tooling.output_files import StagedOutput
from fcn_plugin.errors import UserInputError

MAX_RELATIVE, MIN_AGREEMENT = 1e-4, 0.9999


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('config')
    parser.add_input('checkpoint')
    parser.add_output('out', help='the .onnx file to write')
    parser.add_input('--images', kind='path', help='image file or folder '
                     "for the parity check; None: the config's val images")
    parser.add_argument('--num-images', type=whole_number(1), default=4)
    parser.add_argument('--shape', type=whole_number(8), nargs=2,
                        default=[512, 1024], metavar=('H', 'W'),
                        help='trace shape (any works)')
    parser.add_argument('--opset', type=whole_number(11), default=17)
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)  # out never an input
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise UserInputError('ONNX export needs the deploy extra: pip '
                             'install -e ".[deploy]" (onnx, onnxruntime)')
    import torch
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    from fcn_plugin.tooling.builder import build_segmentor
    from fcn_plugin.deploy import onnx_export
    cfg = load_checked_config(args.config, args.cfg_options)
    init_default_scope('mmseg')
    model = build_segmentor(cfg)
    load_checkpoint(model, args.checkpoint, map_location='cpu')  # strict
    sample = torch.randn(1, 3, *args.shape)
    with StagedOutput(args.out) as staged:
        module = onnx_export.export(model, staged.tmp, sample, args.opset)
        images = onnx_export.image_files(cfg, args.images)
        inputs = onnx_export.pipeline_inputs(cfg, images, args.num_images)
        source = f'{len(inputs)} image(s) through the test pipeline'
        if not inputs:
            inputs, source = [sample], 'a random input (no images found)'
        worst, agree = onnx_export.compare(
            onnx_export.ort_session(staged.tmp), module, inputs)
        print(f'parity on {source} ({", ".join("x".join(map(str, x.shape[2:])) for x in inputs)}): '
              f'max relative logit difference {worst:.2e} (limit '
              f'{MAX_RELATIVE:.0e}), argmax agreement {100 * agree:.4f} % '
              f'(limit {100 * MIN_AGREEMENT:.2f} %)')
        if not (worst <= MAX_RELATIVE and agree >= MIN_AGREEMENT):  # NaN
            raise UserInputError(
                'ONNX Runtime does not match PyTorch; nothing written '
                f'({args.out} is as it was)')
        print(f'{staged.publish()}: input "input" (N, 3, H, W) normalized '
              'RGB, output "logits" (N, classes, H, W); N, H, W dynamic')
    print(f'note: {onnx_export.UNSUPPORTED}')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
