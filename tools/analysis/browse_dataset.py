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
first and the image is made contiguous; the rest is mmseg's loop.

    python tools/analysis/browse_dataset.py configs/fcn_r101_voc_321.py --output-dir browse/ --not-show
"""
import argparse
import os.path as osp
import sys

import numpy as np

from fcn_plugin.tooling.cli import (CfgOptionsAction, load_checked_config,
                                    user_errors)
from fcn_plugin.tooling.progress import Progress


def parse_args(argv):
    parser = argparse.ArgumentParser(description='Browse a dataset')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--output-dir', default=None,
                        help='write the pictures here (no display needed)')
    parser.add_argument('--not-show', default=False, action='store_true')
    parser.add_argument('--show-interval', type=float, default=2,
                        help='the interval of show (s)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    return parser.parse_args(argv)


def main(argv):
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS, VISUALIZERS
    args = parse_args(argv)
    cfg = load_checked_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    visualizer = VISUALIZERS.build(cfg.visualizer)
    visualizer.dataset_meta = dataset.metainfo
    progress = Progress(len(dataset), 'samples')
    for item in dataset:
        # BGR CHW tensor -> contiguous RGB HWC array (OpenCV needs it)
        img = np.ascontiguousarray(
            item['inputs'].permute(1, 2, 0).numpy()[..., ::-1])
        name = osp.basename(item['data_samples'].img_path)
        visualizer.add_datasample(
            name=name, image=img, data_sample=item['data_samples'].numpy(),
            draw_gt=True, draw_pred=False, wait_time=args.show_interval,
            out_file=None if args.output_dir is None else osp.join(
                args.output_dir, name),
            show=not args.not_show)
        progress.update()
    progress.close()
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main(sys.argv[1:]))
