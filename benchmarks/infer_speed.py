#!/usr/bin/env python
"""tools/infer.py against the model's own speed, on the same machine.

    python benchmarks/infer_speed.py [--model tiny|r101] [--frames 13] [--device cuda]

For each input kind, infer.py runs over a folder of N images and over a
folder of 1 (separate processes, as a user runs it); the difference over
N - 1 is its time per image with start-up cancelled. Beside it,
tools/analysis/benchmark.py times the model's forward (batch 1, the
reference's protocol) at the size the model sees there. The ratio is
infer.py's images/s over the forward's: 1.0 would be the model's speed.

- 1024x2048 PNG frames with the VOC row config: the model sees the frame
  at full size (the strictest case);
- the same frames with the Cityscapes row config: the model sees them at
  512x1024 (the row's protocol), class maps written at 1024x2048;
- 500x375 VOC-sized JPEG photos with the VOC row config: the model sees
  them padded to 505x505 (the row's test pipeline).

The tiny model is the tests' dilated ResNet-18 FCN; r101 is the rows' own.
Weights are random (speed does not depend on them).
"""
import os
import os.path as osp
import re
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tests'))
sys.path.insert(0, REPO)

from conftest import TINY_MODEL  # noqa: E402

from fcn_plugin.tooling.arguments import (  # noqa: E402
    DEVICE_HELP, ToolParser, default_device, whole_number)
from fcn_plugin.tooling.cli import user_errors  # noqa: E402
from fcn_plugin.tooling.synthetic_data import draw_sample  # noqa: E402

CASES = [  # (name, config, image (h, w), suffix, size the model sees)
    ('1024x2048 frames, VOC config', 'fcn_r101_voc_321_fp32.py',
     (1024, 2048), '.png', (1024, 2048)),
    ('1024x2048 frames, Cityscapes config', 'fcn_r101_cityscapes_256x512.py',
     (1024, 2048), '.png', (512, 1024)),
    ('375x500 photos, VOC config', 'fcn_r101_voc_321_fp32.py', (375, 500),
     '.jpg', (505, 505)),
]


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', choices=['tiny', 'r101'], default='tiny')
    parser.add_argument('--frames', type=whole_number(2), default=13,
                        help='images in the larger folder')
    parser.add_argument('--device', default=default_device(),
                        help=DEVICE_HELP)
    parser.add_argument('--iters', type=whole_number(1), default=10,
                        help="benchmark.py's timed forwards per trial")
    return parser


def make_folder(folder, count, size, suffix, seed=0):
    os.makedirs(folder)
    rng = np.random.default_rng(seed)
    for i in range(count):
        image, _ = draw_sample(rng, *size, list(range(1, 9)),
                               background=(80, 84) if suffix == '.png'
                               else (60, 110))
        cv2.imwrite(osp.join(folder, f'{i:04d}{suffix}'), image)
    return folder


def make_checkpoint(config, options, path):
    """Random weights in mmseg's checkpoint format, the model's classes and
    palette in its meta (as a trained checkpoint has)."""
    import torch

    from fcn_plugin.tooling.builder import build_segmentor, load_config
    from mmengine.config import DictAction
    from mmseg.registry import DATASETS
    cfg = load_config(config, {k: DictAction._parse_iterable(v)
                               for k, v in (o.split('=', 1)
                                            for o in options)})
    model = build_segmentor(cfg)
    dataset = DATASETS.get(cfg.train_dataloader.dataset.type)
    meta = dict(dataset_meta=dict(classes=list(dataset.METAINFO['classes']),
                                  palette=[list(c) for c in
                                           dataset.METAINFO['palette']]))
    torch.save(dict(meta=meta, state_dict=model.state_dict()), path)


def run(command):
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f'{" ".join(command)} failed:\n{proc.stderr[-3000:]}')
    return time.perf_counter() - start, proc.stdout


def main():
    args = build_parser().parse_args()
    import torch
    device = args.device
    options = TINY_MODEL if args.model == 'tiny' else [
        'model.backbone.init_cfg=None']
    from fcn_plugin.tooling.benchmark import device_name
    print(f'# infer.py against the model ({args.model}, {device_name(device)}'
          f', torch {torch.__version__}; {args.frames} vs 1 images)\n')
    print('| input | infer.py s/image | infer.py images/s | model forward '
          'FPS (benchmark.py, at the size it sees) | ratio |')
    print('|---|---|---|---|---|', flush=True)
    tmp = tempfile.mkdtemp(prefix='infer_speed_')
    ratios = {}
    for name, config_name, size, suffix, seen in CASES:
        config = osp.join(REPO, 'configs', config_name)
        checkpoint = osp.join(tmp, f'{config_name}.pth')
        make_checkpoint(config, options, checkpoint)
        many = make_folder(osp.join(tmp, f'{name}_many'), args.frames, size,
                           suffix)
        one = make_folder(osp.join(tmp, f'{name}_one'), 1, size, suffix,
                          seed=1)
        walls = []
        for folder in (many, one):
            out = osp.join(tmp, f'{osp.basename(folder)}_out')
            wall, _ = run([sys.executable, 'tools/infer.py', config,
                           checkpoint, folder, '--out', out, '--device',
                           device, '--cfg-options', *options])
            walls.append(wall)
        per_image = (walls[0] - walls[1]) / (args.frames - 1)
        _, printed = run([sys.executable, 'tools/analysis/benchmark.py',
                          config, '--shape', *map(str, seen), '--device',
                          device, '--iters', str(args.iters), '--warmup',
                          '2', '--cfg-options', *options])
        fps = float(re.findall(r'FPS: ([\d.]+)', printed)[-1])
        ratio = (1 / per_image) / fps
        ratios[name] = ratio
        print(f'| {name} | {per_image:.3f} | {1 / per_image:.2f} | {fps:.2f}'
              f' ({seen[0]}x{seen[1]}) | {ratio:.2f} |', flush=True)
    print()
    for name, ratio in ratios.items():
        print(f'{name}: infer.py runs at {ratio:.2f}x the model\'s forward '
              'rate')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
