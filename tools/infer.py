#!/usr/bin/env python
"""Segment your own images: colour overlays with mmseg's visualizer.

    python tools/infer.py configs/fcn_r101_voc_321.py CHECKPOINT photo.jpg --out out/
    python tools/infer.py configs/fcn_r101_cityscapes_256x512.py CHECKPOINT imgs/ --out out/
"""
import argparse
import os
import os.path as osp
import sys

import mmcv
from mmengine.utils import track_iter_progress

from fcn_plugin.cli import user_errors
from fcn_plugin.errors import UserInputError

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', help='an image file or a folder of images')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--device', default='cpu', help='cpu or cuda:0')
    parser.add_argument('--opacity', type=float, default=0.5)
    return parser.parse_args(argv)


def list_images(path):
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise UserInputError(f'{path} is neither an image file nor a folder')
    files = sorted(osp.join(path, f) for f in os.listdir(path)
                   if f.lower().endswith(IMAGE_SUFFIXES))
    if not files:
        raise UserInputError(f'no images ({", ".join(IMAGE_SUFFIXES)}) in '
                             f'{path}')
    return files


def main(argv=None):
    args = parse_args(argv)
    images = list_images(args.images)
    if not osp.isfile(args.checkpoint):
        raise UserInputError(f'checkpoint {args.checkpoint} does not exist')
    from mmseg.apis import init_model
    from mmseg.visualization import SegLocalVisualizer

    from fcn_plugin.inference import build_inference_pipeline, predict_file
    from fcn_plugin.builder import load_config
    cfg = load_config(args.config)
    model = init_model(cfg, args.checkpoint, device=args.device)
    pipeline = build_inference_pipeline(cfg)
    visualizer = SegLocalVisualizer(alpha=args.opacity)
    visualizer.dataset_meta = model.dataset_meta
    os.makedirs(args.out, exist_ok=True)
    for path in track_iter_progress(images):
        result = predict_file(model, pipeline, path)
        name = osp.splitext(osp.basename(path))[0] + '.png'
        visualizer.add_datasample(
            name, mmcv.imread(path, channel_order='rgb'), result,
            draw_gt=False, show=False, out_file=osp.join(args.out, name))
    print(f'\nwrote {len(images)} overlay(s) to {args.out}')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
