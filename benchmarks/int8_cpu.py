#!/usr/bin/env python
"""Int8 on CPU: speed against the plugin's fp32, agreement on a trained model.

    python benchmarks/int8_cpu.py [--shape 256 512] [--rounds 3]

1. Agreement: trains the demo's small dilated ResNet-18 FCN on a generated
   VOC-layout sample (40 iterations, as ``make demo``), exports it with
   ``tools/deployment/export_onnx.py``, quantizes it with
   ``tools/deployment/quantize_int8.py`` (calibrated on the val pipeline's
   images) and prints the pixel agreement of int8 with fp32 predictions on
   the val images (random weights would make agreement meaningless).
2. Speed: the R101 Cityscapes row model (random weights; speed does not
   depend on them) at 1x3xHxW, timed alternately in rounds: the plugin in
   PyTorch fp32, ONNX Runtime fp32 and ONNX Runtime int8, same threads.
"""
import os.path as osp
import subprocess
import sys
import tempfile

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tests'))
sys.path.insert(0, REPO)

from conftest import TINY_MODEL  # noqa: E402

from fcn_plugin.tooling.arguments import (  # noqa: E402
    ToolParser, whole_number)
from fcn_plugin.tooling.cli import user_errors  # noqa: E402
from fcn_plugin.tooling import benchmark as bm  # noqa: E402
from fcn_plugin.tooling.builder import build_segmentor, load_config  # noqa: E402
from fcn_plugin.deploy import int8, onnx_export  # noqa: E402
from fcn_plugin.tooling.synthetic_data import make_voc_sample  # noqa: E402

VOC = osp.join(REPO, 'configs', 'fcn_r101_voc_321_fp32.py')
CITYSCAPES = osp.join(REPO, 'configs', 'fcn_r101_cityscapes_256x512.py')


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shape', type=whole_number(8), nargs=2,
                        default=[256, 512])
    parser.add_argument('--warmup', type=whole_number(0), default=2)
    parser.add_argument('--iters', type=whole_number(1), default=5)
    parser.add_argument('--rounds', type=whole_number(1), default=3)
    return parser


def tool(*args):
    proc = subprocess.run([sys.executable, *args], cwd=REPO, check=True,
                          capture_output=True, text=True)
    return proc.stdout


def agreement_on_trained_model(tmp):
    root = make_voc_sample(osp.join(tmp, 'data'), num_train=48, num_val=8)
    roots = [f'{s}_dataloader.dataset.data_root={root}'
             for s in ('train', 'val', 'test')]
    tool('tools/train.py', VOC, '--work-dir', osp.join(tmp, 'train'),
         '--cfg-options', *TINY_MODEL, *roots, 'train_cfg.max_iters=40',
         'train_cfg.val_interval=40', 'optim_wrapper.optimizer.lr=0.05',
         'randomness.seed=0', 'train_dataloader.num_workers=2')
    fp32, q8 = osp.join(tmp, 'small.onnx'), osp.join(tmp, 'small_int8.onnx')
    options = ['--cfg-options', *TINY_MODEL, roots[-1]]
    tool('tools/deployment/export_onnx.py', VOC,
         osp.join(tmp, 'train', 'iter_40.pth'), fp32, *options)
    out = tool('tools/deployment/quantize_int8.py', VOC, fp32, q8,
               '--num-images', '4', *options)  # 4 calibrate, 4 held out
    return out.strip().splitlines()[-1]


def main():
    args = build_parser().parse_args()
    tmp = tempfile.mkdtemp()
    print(f'device: {bm.device_name("cpu")}; torch {torch.__version__}\n')
    print('1. trained small model (demo recipe):',
          agreement_on_trained_model(tmp), flush=True)

    model = build_segmentor(load_config(CITYSCAPES))
    x = bm.make_input(args.shape, 1, 'cpu')
    fp32, q8 = osp.join(tmp, 'r101.onnx'), osp.join(tmp, 'r101_int8.onnx')
    onnx_export.export(model, fp32, x)
    int8.quantize(fp32, q8, [bm.make_input(args.shape, 1, 'cpu')])
    plugin = bm.prepare_model(model, 'cpu')
    sessions = {name: onnx_export.ort_session(path,
                                              torch.get_num_threads())
                for name, path in (('onnxruntime fp32', fp32),
                                   ('onnxruntime int8', q8))}
    steps = {'plugin fp32 (PyTorch)': lambda: bm.predict(plugin, x)}
    for name, session in sessions.items():
        steps[name] = (lambda s: lambda: s.run(None, {'input': x.numpy()}))(
            session)
    fps = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            fps[name].append(bm.time_steps(step, 1, 'cpu', args.warmup,
                                           args.iters))
    base = max(fps['plugin fp32 (PyTorch)'])
    print(f'\n2. R101, 1x3x{args.shape[0]}x{args.shape[1]}, best of '
          f'{args.rounds} alternating rounds of {args.iters} forwards')
    print('| backend | FPS | vs plugin fp32 |\n|---|---|---|')
    for name, values in fps.items():
        print(f'| {name} | {max(values):.2f} | {max(values) / base:.2f}x |')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
