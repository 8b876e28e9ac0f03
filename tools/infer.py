#!/usr/bin/env python
"""Segment your own images: mmseg's MMSegInferencer with the plugin loaded.

Writes colour overlays to OUT/vis/<input file name> and class-index maps
(predictions at the input image's size) to OUT/pred/:

    python tools/infer.py configs/fcn_r101_voc_321.py CHECKPOINT photo.jpg --out out/
    python tools/infer.py configs/fcn_r101_cityscapes_256x512.py CHECKPOINT imgs/ --out out/

Give the same --cfg-options the model was trained with (e.g. a smaller
backbone); a checkpoint that does not fit the config stops with a message.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

from fcn_plugin.cli import check_device, user_errors
from fcn_plugin.inference import list_images

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', help='an image file or a folder of images')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--device', default='cpu', help='cpu or cuda:0')
    parser.add_argument('--opacity', type=float, default=0.5)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='the options the model was trained with')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    images = list_images(args.images)
    check_device(args.device)
    import fcn_plugin  # noqa: F401  (before mmseg's models: mmcv-lite)
    from mmseg.apis import MMSegInferencer

    from fcn_plugin.builder import load_config
    cfg = load_config(args.config, args.cfg_options)
    inferencer = MMSegInferencer(model=cfg, weights=args.checkpoint,
                                 device=args.device)
    # file names keep their extension: a.jpg and a.png are two overlays
    inferencer(images, out_dir=args.out, opacity=args.opacity)
    print(f'\nwrote {len(images)} overlay(s) to {osp.join(args.out, "vis")} '
          f'and class-index maps to {osp.join(args.out, "pred")}')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
