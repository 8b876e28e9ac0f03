#!/usr/bin/env python
"""Segment your own images: mmseg's MMSegInferencer with the plugin loaded.

Writes class-index maps (predictions at the input image's size) to
OUT/pred/<input file name>.png and colour overlays to OUT/vis/<input file
name>:

    python tools/infer.py configs/fcn_r101_voc_321.py CHECKPOINT photo.jpg --out out/
    python tools/infer.py configs/fcn_r101_cityscapes_256x512.py CHECKPOINT imgs/ --out out/

It runs on the GPU when there is one (--device), at the model's speed:
images are decoded in worker threads while the model runs, and the
finished ones blended and written in others (bounded queues: memory does
not grow with the folder). The overlay is mmseg's (its palette, opacity and
blend) computed in one pass; --labels draws it with mmseg's visualizer and
the class names, at seconds a frame; --no-overlay writes the class maps
only. Each file is written to a temporary name and renamed, so an
interrupted run keeps every image it finished; --skip-existing continues
it. One run per --out at a time. A photo's EXIF orientation is applied (it
is shown upright), and its class map is in that same orientation. A file
that is no image (empty, undecodable, or claiming more pixels than any
frame) is named and skipped; every other image is written (exit 1 then).

Give the same --cfg-options the model was trained with (e.g. a smaller
backbone); a checkpoint that does not fit the config stops with a message.
"""
import os.path as osp
import sys

from fcn_plugin.errors import UserInputError
from fcn_plugin.tooling.arguments import (DEVICE_HELP, ToolParser,
                                          default_device, fraction,
                                          whole_number)
from fcn_plugin.tooling.cli import (CfgOptionsAction, check_device,
                                    load_checked_config, user_errors)
from fcn_plugin.tooling.inference import list_images
from fcn_plugin.tooling.progress import Progress
from fcn_plugin.tooling.streaming_inference import (StreamingSegmenter,
                                                    exif_rotated)


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_input('config')
    parser.add_input('checkpoint')
    parser.add_input('images', kind='path',
                     help='an image file or a folder of images')
    parser.add_output('--out', kind='folder', required=True,
                      help='output folder (pred/, vis/)')
    parser.add_argument('--device', default=default_device(),
                        help=DEVICE_HELP)
    parser.add_argument('--batch-size', type=whole_number(1), default=1,
                        help='images inferred together (those of one size)')
    parser.add_argument('--skip-existing', action='store_true',
                        help='leave out images whose outputs are already in '
                        '--out (a rerun continues)')
    parser.add_argument('--opacity', type=fraction, default=0.5,
                        help="the overlay's opacity, 0 to 1 (mmseg's)")
    overlays = parser.add_mutually_exclusive_group()
    overlays.add_argument('--no-overlay', action='store_true',
                          help='write the class maps only (fastest)')
    overlays.add_argument('--labels', action='store_true',
                          help="draw the overlays with mmseg's visualizer "
                          'and the class names (seconds a frame)')
    parser.add_argument('--threads', type=whole_number(1),
                        default=StreamingSegmenter.default_threads(),
                        help='decoding threads and writing threads (each)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='the options the model was trained with')
    return parser


def _say_list(count, what, paths):
    print(f'{count} {what}: {", ".join(osp.basename(p) for p in paths[:5])}'
          f'{" ..." if len(paths) > 5 else ""}')


def main(argv=None):
    args = build_parser().parse_args(argv)
    device = args.device
    check_device(device)
    skipped = []
    images = list_images(args.images, skipped)
    if skipped:
        _say_list(f'skipping {len(skipped)}',
                  'entry that is not an image file' if len(skipped) == 1
                  else 'entries that are not image files', skipped)
    cfg = load_checked_config(args.config, args.cfg_options)
    from fcn_plugin.tooling.benchmark import device_name
    print(f'device: {device} ({device_name(device)})', flush=True)
    segmenter = StreamingSegmenter(
        cfg, args.checkpoint, device, args.out, args.opacity,
        overlays=not args.no_overlay, labels=args.labels,
        threads=args.threads)
    if args.skip_existing:
        done = [p for p in images if segmenter.done(p)]
        if done:
            print(f'--skip-existing: {len(done)} of {len(images)} image(s) '
                  f'already have {"both outputs" if not args.no_overlay else "their class map"} in {args.out}')
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
    with Progress(len(images), 'images') as progress:
        written, failed = segmenter.run(images, args.batch_size, progress)
    maps = f'class-index maps (<input name>.png) to {segmenter.pred_dir}'
    print(f'wrote {written} overlay(s) to {segmenter.vis_dir} and {maps}'
          if not args.no_overlay else f'wrote {written} {maps}')
    if failed:
        if len(failed) > 3:
            for path, why in failed:
                print(f'  no image: {path}: {why}', file=sys.stderr)
        raise UserInputError(
            f'{len(failed)} of {len(images)} input(s) are no images and have '
            f'no output: {"; ".join(f"{p} ({why})" for p, why in failed[:3])}'
            f'{" ... (all listed above)" if len(failed) > 3 else ""}; the '
            f'other {written} were written')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
