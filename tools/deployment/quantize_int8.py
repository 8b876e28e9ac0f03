#!/usr/bin/env python
"""Quantize an exported model to int8 for CPUs (ONNX Runtime, static QDQ).

    python tools/deployment/quantize_int8.py CONFIG MODEL.onnx OUT_int8.onnx [--images DIR]

Calibrates activation ranges on images from the config's val pipeline
(--images, or the config's val images), then reports the pixel agreement of
the int8 model with the fp32 one on those images. Speed:
``python tools/analysis/benchmark.py CONFIG --backend onnxruntime --onnx OUT_int8.onnx``.
"""
import os.path as osp
import sys

from fcn_plugin.tooling.arguments import ToolParser, whole_number
from fcn_plugin.tooling.cli import CfgOptionsAction, load_checked_config, user_errors
from fcn_plugin.tooling.output_files import StagedOutput
from fcn_plugin.errors import UserInputError


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('config')
    parser.add_input('onnx', help='fp32 model from export_onnx.py')
    parser.add_output('out', help='the int8 .onnx file to write')
    parser.add_input('--images', kind='path', help='image file or folder; '
                     "None: the config's val images")
    parser.add_argument('--num-images', type=whole_number(1), default=32,
                        help='calibration images; as many more (if there) '
                        'measure the agreement')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)  # out never an input
    if not osp.isfile(args.onnx):
        raise UserInputError(f'{args.onnx} does not exist: export it first '
                             'with tools/deployment/export_onnx.py')
    from fcn_plugin.deploy import int8, onnx_export
    onnx_export.ort_session(args.onnx)  # not an ONNX model: one line, now
    cfg = load_checked_config(args.config, args.cfg_options)
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    inputs = onnx_export.pipeline_inputs(
        cfg, onnx_export.image_files(cfg, args.images), 2 * args.num_images)
    if not inputs:
        raise UserInputError('no calibration images: pass --images or point '
                             'test_dataloader.dataset.data_root at the data')
    calibration, held_out = inputs[:args.num_images], inputs[
        args.num_images:]
    print(f'calibrating on {len(calibration)} image(s) through the test '
          'pipeline')
    measured = held_out or calibration
    with StagedOutput(args.out) as staged:
        int8.quantize(args.onnx, staged.tmp, calibration)
        agree = int8.agreement(onnx_export.ort_session(args.onnx),
                               onnx_export.ort_session(staged.tmp), measured)
        print(f'{staged.publish()}; pixel agreement with the fp32 model on '
              f'{len(measured)} {"held-out" if held_out else "calibration"} '
              f'image(s): {100 * agree:.2f} %')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
