#!/usr/bin/env python
"""Browse the training samples as the model sees them (after the training
pipeline), with their labels drawn: mmseg's
``analysis_tools/browse_dataset.py``, flags and all, with two fixes.

mmseg's script run as it is dies twice on the supported stacks: it imports
``mmseg.utils`` first, which on mmcv-lite (no compiled ops) fails before
anything can load the plugin; and it hands mmseg's visualizer a
channel-strided view of the image (``inputs.permute(1, 2, 0)``), which
OpenCV 4.x refuses (``_draw_sem_seg``: "Expected Ptr<cv::UMat> for
argument 'img'"), for every mmseg config. Here the plugin is imported
first and the image is made contiguous; the rest is mmseg's loop. The
pictures are written as every tool's outputs are (never onto the dataset,
complete or absent), and a run that could neither show nor write anything
(no display, or --not-show without --output-dir) says so instead of
ending with exit 0.

    python tools/analysis/browse_dataset.py configs/fcn_r101_voc_321.py --output-dir browse/ --not-show
"""
import os
import os.path as osp
import sys

import numpy as np

from fcn_plugin.errors import UserInputError
from fcn_plugin.tooling.arguments import ToolParser, positive_number
from fcn_plugin.tooling.cli import (CfgOptionsAction, load_checked_config,
                                    user_errors)
from fcn_plugin.tooling.output_files import write_image
from fcn_plugin.tooling.progress import Progress


def build_parser():
    parser = ToolParser(description='Browse a dataset')
    parser.add_input('config', help='train config file path')
    parser.add_output('--output-dir', kind='folder', default=None,
                      help='write the pictures here (no display needed)')
    parser.add_argument('--not-show', default=False, action='store_true')
    parser.add_argument('--show-interval', type=positive_number, default=2,
                        help='the interval of show (s)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    return parser


def check_can_show(args):
    """A run that would show nothing and write nothing is an error."""
    if args.not_show and not args.output_dir:
        raise UserInputError('--not-show without --output-dir would neither '
                             'show nor write anything: add --output-dir DIR')
    display = os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')
    if not args.not_show and not display:
        raise UserInputError('no display here (DISPLAY is not set) to show '
                             'the samples on: write them instead with '
                             '--output-dir DIR --not-show')


def main(argv):
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS, VISUALIZERS
    args = build_parser().parse_args(argv)
    check_can_show(args)
    cfg = load_checked_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    visualizer = VISUALIZERS.build(cfg.visualizer)
    visualizer.dataset_meta = dataset.metainfo
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
    progress = Progress(len(dataset), 'samples')
    for item in dataset:
        # BGR CHW tensor -> contiguous RGB HWC array (OpenCV needs it)
        img = np.ascontiguousarray(
            item['inputs'].permute(1, 2, 0).numpy()[..., ::-1])
        name = osp.basename(item['data_samples'].img_path)
        visualizer.add_datasample(
            name=name, image=img, data_sample=item['data_samples'].numpy(),
            draw_gt=True, draw_pred=False, wait_time=args.show_interval,
            show=not args.not_show)
        if args.output_dir:
            write_image(osp.join(args.output_dir, name),  # RGB -> BGR
                        np.ascontiguousarray(visualizer.get_image()[..., ::-1]))
        progress.update()
    progress.close()
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main(sys.argv[1:]))
