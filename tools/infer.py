#!/usr/bin/env python
"""Segment your own images: mmseg's MMSegInferencer with the plugin loaded.

Writes colour overlays to OUT/vis/<input file name> and class-index maps
(predictions at the input image's size) to OUT/pred/<input file name>.png:

    python tools/infer.py configs/fcn_r101_voc_321.py CHECKPOINT photo.jpg --out out/
    python tools/infer.py configs/fcn_r101_cityscapes_256x512.py CHECKPOINT imgs/ --out out/

Give the same --cfg-options the model was trained with (e.g. a smaller
backbone); a checkpoint that does not fit the config stops with a message.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np

from fcn_plugin.tooling.cli import (CfgOptionsAction, check_device,
                            load_checked_config, user_errors)
from fcn_plugin.errors import UserInputError
from fcn_plugin.tooling.inference import list_images

def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', help='an image file or a folder of images')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--device', default='cpu', help='cpu or cuda:0')
    parser.add_argument('--opacity', type=float, default=0.5)
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='the options the model was trained with')
    return parser.parse_args(argv)


def _unreadable(path):
    """Why ``path`` cannot be read as an image (``''`` if it can)."""
    import mmcv
    try:
        return '' if mmcv.imread(path) is not None else 'not an image'
    except (OSError, ValueError) as exc:
        return str(exc).splitlines()[0]


def main(argv=None):
    args = parse_args(argv)
    skipped = []
    images = list_images(args.images, skipped)
    check_device(args.device)
    if skipped:
        what = 'entry that is not an image file' if len(skipped) == 1 else \
            'entries that are not image files'
        print(f'skipping {len(skipped)} {what}: '
              f'{", ".join(osp.basename(p) for p in skipped[:5])}'
              f'{" ..." if len(skipped) > 5 else ""}')
    failed = [(p, why) for p in images for why in [_unreadable(p)] if why]
    images = [p for p in images if p not in dict(failed)]
    if not images:
        raise UserInputError(_failures(failed, 0))
    import fcn_plugin  # noqa: F401  (before mmseg's models: mmcv-lite)
    from mmseg.apis import MMSegInferencer

    from fcn_plugin.import_noise import CHECKPOINT_NOISE, without_import_noise
    cfg = load_checked_config(args.config, args.cfg_options)
    with without_import_noise(CHECKPOINT_NOISE):  # mmengine's raw print
        inferencer = MMSegInferencer(model=cfg, weights=args.checkpoint,
                                     device=args.device)
    vis_dir, pred_dir = osp.join(args.out, 'vis'), osp.join(args.out, 'pred')
    # outputs are named after their input, extension kept: a.jpg and a.png
    # give vis/a.jpg, vis/a.png, pred/a.jpg.png, pred/a.png.png
    outputs = [o for p in images for o in (
        osp.join(vis_dir, osp.basename(p)),
        osp.join(pred_dir, osp.basename(p) + '.png'))]
    replaced = [o for o in outputs if osp.exists(o)]
    if replaced:
        print(f'replacing {len(replaced)} file(s) of an earlier run in '
              f'{args.out}: {", ".join(replaced[:3])}'
              f'{" ..." if len(replaced) > 3 else ""}')
    os.makedirs(pred_dir, exist_ok=True)
    samples = inferencer(images, return_datasamples=True)  # with progress
    samples = samples if isinstance(samples, list) else [samples]
    inferencer.visualize(images, samples, img_out_dir=vis_dir,
                         opacity=args.opacity)
    for path, sample in zip(images, samples):
        label = sample.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
        cv2.imwrite(osp.join(pred_dir, osp.basename(path) + '.png'), label)
    print(f'wrote {len(images)} overlay(s) to {vis_dir} and class-index '
          f'maps (<input name>.png) to {pred_dir}')
    if failed:
        raise UserInputError(_failures(failed, len(images)))
    return 0


def _failures(failed, done):
    return (f'{len(failed)} of {len(failed) + done} input(s) could not be '
            'read as images and have no output: '
            f'{"; ".join(f"{p} ({why})" for p, why in failed[:3])}')


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
