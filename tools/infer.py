#!/usr/bin/env python
"""Segment your own images: mmseg's MMSegInferencer with the plugin loaded.

Writes colour overlays to OUT/vis/<input file name> and class-index maps
(predictions at the input image's size) to OUT/pred/<input file name>.png:

    python tools/infer.py configs/fcn_r101_voc_321.py CHECKPOINT photo.jpg --out out/
    python tools/infer.py configs/fcn_r101_cityscapes_256x512.py CHECKPOINT imgs/ --out out/

It streams: each image is decoded once, inferred (--batch-size images of one
size at a time), its two files written (to a temporary name, then renamed)
and dropped, so memory does not grow with the folder, and an interrupted
run keeps every image it finished; --skip-existing continues it. One run
per --out at a time. A photo's EXIF orientation is applied (it is shown
upright), and its class map is in that same orientation.

Give the same --cfg-options the model was trained with (e.g. a smaller
backbone); a checkpoint that does not fit the config stops with a message.
"""
import argparse
import os.path as osp
import sys

from fcn_plugin.errors import UserInputError
from fcn_plugin.tooling.cli import (CfgOptionsAction, check_device,
                                    load_checked_config, user_errors)
from fcn_plugin.tooling.inference import list_images
from fcn_plugin.tooling.streaming_inference import (StreamingSegmenter,
                                                    batches, exif_rotated)
from fcn_plugin.tooling.progress import Progress


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', help='an image file or a folder of images')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--device', default='cpu', help='cpu or cuda:0')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='images inferred together (those of one size)')
    parser.add_argument('--skip-existing', action='store_true',
                        help='leave out images whose overlay and class map '
                        'are already in --out (a rerun continues)')
    parser.add_argument('--opacity', type=float, default=0.5)
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='the options the model was trained with')
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error('--batch-size must be at least 1')
    return args


def _say_list(count, what, paths):
    print(f'{count} {what}: {", ".join(osp.basename(p) for p in paths[:5])}'
          f'{" ..." if len(paths) > 5 else ""}')


def main(argv=None):
    args = parse_args(argv)
    skipped = []
    images = list_images(args.images, skipped)
    check_device(args.device)
    if skipped:
        _say_list(f'skipping {len(skipped)}',
                  'entry that is not an image file' if len(skipped) == 1
                  else 'entries that are not image files', skipped)
    cfg = load_checked_config(args.config, args.cfg_options)
    segmenter = StreamingSegmenter(cfg, args.checkpoint, args.device,
                                   args.out, args.opacity)
    if args.skip_existing:
        done = [p for p in images if segmenter.done(p)]
        if done:
            print(f'--skip-existing: {len(done)} of {len(images)} image(s) '
                  f'already have both outputs in {args.out}')
        images = [p for p in images if p not in set(done)]
    replaced = [o for p in images for o in segmenter.outputs(p)
                if osp.exists(o)]
    if replaced:
        print(f'replacing {len(replaced)} file(s) of an earlier run in '
              f'{args.out}: {", ".join(replaced[:3])}'
              f'{" ..." if len(replaced) > 3 else ""}')
    rotated = [p for p in images if exif_rotated(p)]
    if rotated:
        _say_list(len(rotated), 'photo(s) carry an EXIF orientation: shown '
                  'upright, their overlays and class maps in that '
                  'orientation', rotated)
    failed, written = [], 0
    with Progress(len(images), 'images') as progress:
        for batch in batches(images, args.batch_size):
            written_now, failed_now = segmenter.run(batch)
            written += written_now
            failed += failed_now
            progress.update(len(batch))
    print(f'wrote {written} overlay(s) to {segmenter.vis_dir} and class-index '
          f'maps (<input name>.png) to {segmenter.pred_dir}')
    if failed:
        raise UserInputError(
            f'{len(failed)} of {len(images)} input(s) could not be read as '
            'images and have no output: '
            f'{"; ".join(f"{p} ({why})" for p, why in failed[:3])}')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
