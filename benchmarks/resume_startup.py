#!/usr/bin/env python
"""Start-up time of ``tools/train.py --resume`` at iteration 0, 1,000 and
10,000 of a row config, on generated data; mmengine's own loop for contrast.

    python benchmarks/resume_startup.py [--iters 0 1000 10000]

For each N a checkpoint of a real run is re-labelled as iteration N (meta,
message hub and LR scheduler), then ``tools/train.py --resume`` trains ONE
more iteration; the wall time of that whole command (imports, datasets,
checkpoint, data position, one iteration) is the start-up figure. N = 0 is
a fresh start. The row config's data pipeline and loop are used as they
are; the model is the tests' tiny dilated ResNet-18 (the data position does
not depend on the model; an R101 checkpoint adds a constant load time).
"""
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tests'))
sys.path.insert(0, REPO)

from conftest import TINY_MODEL  # noqa: E402

from fcn_plugin.tooling.arguments import (  # noqa: E402
    ToolParser, whole_number)
from fcn_plugin.tooling.cli import user_errors  # noqa: E402
from fcn_plugin.tooling.benchmark import checkpoint_at  # noqa: E402
from fcn_plugin.tooling.synthetic_data import make_voc_sample  # noqa: E402

CONFIG = osp.join(REPO, 'configs', 'fcn_r101_voc_321_fp32.py')
STOCK = ['train_cfg.type=IterBasedTrainLoop',
         'train_dataloader.sampler.type=DefaultSampler']


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=whole_number(0), nargs='+',
                        default=[0, 1000, 10000])
    parser.add_argument('--stock-iters', type=whole_number(0), nargs='*',
                        default=[100],
                        help="mmengine's IterBasedTrainLoop at these")
    return parser


def train(work_dir, root, max_iters, *extra):
    options = [*TINY_MODEL, f'train_dataloader.dataset.data_root={root}',
               f'val_dataloader.dataset.data_root={root}',
               f'train_cfg.max_iters={max_iters}',
               'train_cfg.val_interval=100000', 'randomness.seed=0',
               'train_dataloader.num_workers=2', *extra]
    start = time.perf_counter()
    subprocess.run([sys.executable, osp.join(REPO, 'tools', 'train.py'),
                    CONFIG, '--work-dir', work_dir, '--resume',
                    '--cfg-options', *options], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    args = build_parser().parse_args()
    tmp = tempfile.mkdtemp()
    root = make_voc_sample(tmp, num_train=24, num_val=6)
    first = osp.join(tmp, 'first')
    train(first, root, 1)
    print(f'{len(os.sched_getaffinity(0))} cores; VOC row config, tiny model,'
          ' 24 generated images, batch 8 (3 iterations per epoch)\n')
    print('| loop | resumed at iteration | start-up + 1 iteration (s) |')
    print('|---|---|---|')
    for stock, iters in ((False, args.iters), (True, args.stock_iters)):
        for n in iters:
            work_dir = osp.join(tmp, f'{"stock" if stock else "ours"}_{n}')
            if n:
                checkpoint_at(osp.join(first, 'iter_1.pth'), n, n + 1, work_dir)
            seconds = train(work_dir, root, n + 1, *(STOCK if stock else []))
            name = "mmengine IterBasedTrainLoop + DefaultSampler" if stock \
                else 'ResumableIterBasedTrainLoop + ResumableSampler'
            print(f'| {name} | {n:,} | {seconds:.1f} |', flush=True)
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
