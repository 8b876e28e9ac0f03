#!/usr/bin/env python
"""Convert a reference FCN checkpoint into an mmseg checkpoint for the plugin.

Sources: a pytorch-auto-drive FCN checkpoint ({'model': ..., 'optimizer': ...})
or a torchvision fcn_resnet101 state dict (its aux_classifier is dropped).
The result loads into the plugin model with no missing or unexpected keys:

    python tools/model_converters/fcn2mmseg.py fcn_voc.pt checkpoints/fcn_voc_mmseg.pth
    python tools/test.py configs/fcn_r101_voc_321.py checkpoints/fcn_voc_mmseg.pth
"""
import os
import os.path as osp
import sys

import torch

from fcn_plugin.tooling.cli import user_errors
from fcn_plugin.errors import UserInputError
from fcn_plugin.weights import (convert_fcn_state_dict, load_checkpoint_file,
                                state_dict_mismatch)
from fcn_plugin.mim_configs import config_file
from fcn_plugin.tooling.builder import build_segmentor, load_config
from fcn_plugin.tooling.arguments import ToolParser
from fcn_plugin.tooling.output_files import StagedOutput
from fcn_plugin.models.checked_encoder_decoder import likely_cause

DEFAULT_CONFIGS = {  # num_classes -> the row config the checkpoint belongs to
    21: 'fcn_r101_voc_321.py',
    19: 'fcn_r101_cityscapes_256x512.py'
}


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('src', help='pytorch-auto-drive or torchvision file')
    parser.add_output('dst', help='output mmseg checkpoint (.pth)')
    parser.add_input(
        '--config',
        help='config whose model the result must fit; None: the VOC row '
        'for 21 classes, the Cityscapes row for 19')
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)  # dst never an input
    checkpoint = load_checkpoint_file(args.src, 'FCN checkpoint')
    state_dict, dropped = convert_fcn_state_dict(checkpoint)
    if 'decode_head.conv_seg.weight' not in state_dict:
        raise UserInputError(f'{args.src} has no classifier.4.weight: not an '
                             'FCN checkpoint')
    num_classes = state_dict['decode_head.conv_seg.weight'].shape[0]
    config = args.config or config_file(
        DEFAULT_CONFIGS.get(num_classes, 'fcn_r101_voc_321.py'))
    cfg = load_config(config)
    if not args.config:  # no row config for this class count: say which
        cfg.model.decode_head.num_classes = num_classes
    # --config: checked against that config exactly as it is
    model = build_segmentor(cfg)
    expected = model.state_dict()
    mismatch = state_dict_mismatch(expected, state_dict)
    if mismatch:
        raise UserInputError(
            f'{args.src} does not fit the model of {config} '
            f'({likely_cause(expected, state_dict)}): {mismatch}')
    if dropped:
        print(f'note: dropped {len(dropped)} aux_classifier.* keys (the '
              'reference FCN has no auxiliary head)')
    from mmseg.registry import DATASETS
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    meta = dict(converted_from=osp.basename(args.src), dropped_keys=dropped)
    dataset = DATASETS.get(cfg.train_dataloader.dataset.type)
    if len(dataset.METAINFO['classes']) == num_classes:
        # class names and palette for init_model / inference visualisation
        meta['dataset_meta'] = dict(
            classes=list(dataset.METAINFO['classes']),
            palette=[list(c) for c in dataset.METAINFO['palette']])
    with StagedOutput(args.dst) as out:  # dst complete or as it was
        torch.save(dict(meta=meta, state_dict=state_dict), out.tmp)
        said = out.publish()
    print(f'converted {len(state_dict)} tensors ({num_classes} classes, '
          f'fits {osp.basename(config)}): {said}')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
