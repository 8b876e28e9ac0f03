#!/usr/bin/env python
"""`make demo`: train and evaluate the VOC row config, shrunk for a CPU, on a
generated sample dataset in the real VOC layout; write pictures and curves.

Nothing is downloaded. Steps (each printed with its exact command):
1. generate work_dirs/demo/data/VOC2012 (deterministic, ~3 MB);
2. tools/train.py configs/fcn_r101_voc_321_fp32.py with --cfg-options that
   swap in a small dilated ResNet-18 and shorten the schedule;
3. tools/test.py on the last checkpoint;
4. image | ground truth | prediction PNGs and the loss / mIoU curves.
"""
import glob
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

from fcn_plugin.tooling.arguments import ToolParser, whole_number
from fcn_plugin.tooling.cli import user_errors
from fcn_plugin.tooling.output_files import StagedOutput, write_image

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join('configs', 'fcn_r101_voc_321_fp32.py')
SMALL_MODEL = [  # same structure (dilated ResNet, OS 8, SimpleFCNHead), tiny
    'model.backbone.depth=18', 'model.backbone.base_channels=16',
    'model.backbone.stem_channels=16', 'model.decode_head.in_channels=128',
    'model.decode_head.channels=32',
    'model.backbone.init_cfg=None',  # from scratch: no ImageNet file here
]


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_output('--work-dir', kind='workdir', default='work_dirs/demo')
    parser.add_argument('--iters', type=whole_number(1), default=40)
    parser.add_argument('--num-pictures', type=whole_number(1), default=4)
    return parser


def run(cmd):
    """Run a tool, streaming its output; return the output text."""
    print('\n$ ' + ' '.join(cmd), flush=True)
    lines = []
    with subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          env=dict(os.environ, PYTHONUNBUFFERED='1')) as proc:
        for line in proc.stdout:
            lines.append(line)
            if 'mmengine - INFO - Iter(' in line or line.startswith(
                    ('|', '+', 'error')) or 'Saving checkpoint' in line:
                print(line, end='', flush=True)
    if proc.returncode:
        sys.exit(f'demo: {cmd[1]} failed (exit {proc.returncode}):\n'
                 + ''.join(lines[-30:]))
    return ''.join(lines)


def plot_curves(train_dir, out_file):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    scalars = sorted(glob.glob(osp.join(train_dir, '*', 'vis_data',
                                        'scalars.json')))[-1]
    loss, miou = [], []
    with open(scalars) as f:
        for line in f:
            record = json.loads(line)
            if 'loss' in record:
                loss.append((record['step'], record['loss']))
            if 'mIoU' in record:
                miou.append((record['step'], record['mIoU']))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(*zip(*loss), color='tab:blue', label='training loss')
    ax.set_xlabel('iteration')
    ax.set_ylabel('loss', color='tab:blue')
    ax2 = ax.twinx()
    ax2.plot(*zip(*miou), 'o-', color='tab:red', label='val mIoU')
    ax2.set_ylabel('val mIoU (%)', color='tab:red')
    ax.set_title('fcn_plugin demo: VOC-layout sample, small dilated ResNet')
    fig.tight_layout()
    with StagedOutput(out_file) as out:
        fig.savefig(out.tmp, dpi=100, format='png')
        out.publish()
    plt.close(fig)


def save_pictures(config, checkpoint, data_root, out_dir, count):
    import mmcv
    from mmengine.config import DictAction

    from fcn_plugin.tooling.builder import load_config  # before mmseg (mmcv-lite)
    from fcn_plugin.tooling.inference import side_by_side
    from mmseg.apis import inference_model, init_model
    options = {k: DictAction._parse_iterable(v)
               for k, v in (o.split('=', 1) for o in SMALL_MODEL)}
    cfg = load_config(osp.join(REPO, config), options)
    model = init_model(cfg, checkpoint, device='cpu')  # mmseg's own API
    palette = model.dataset_meta['palette']
    with open(osp.join(data_root, 'ImageSets/Segmentation/val.txt')) as f:
        ids = [line.strip() for line in f][:count]
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for name in ids:
        img = osp.join(data_root, 'JPEGImages', name + '.jpg')
        gt = mmcv.imread(osp.join(data_root, 'SegmentationClassAug',
                                  name + '.png'), flag='unchanged')
        pred = inference_model(model, img).pred_sem_seg.data[0].numpy()
        out = osp.join(out_dir, f'{name}.png')
        write_image(out, side_by_side(img, gt, pred, palette)[..., ::-1].copy())
        written.append(out)
    return written


def main():
    args = build_parser().parse_args()
    work_dir = osp.abspath(args.work_dir)
    data_root = osp.join(work_dir, 'data', 'VOC2012')
    print(f'[1/4] sample dataset in the VOC layout: {data_root}')
    from fcn_plugin.tooling.synthetic_data import make_voc_sample
    make_voc_sample(osp.dirname(data_root), num_train=48, num_val=8)

    train_dir = osp.join(work_dir, 'train')
    if osp.isdir(train_dir):  # one run, one best file
        print(f'replacing the earlier demo training in {train_dir}')
        shutil.rmtree(train_dir)
    roots = [f'{s}_dataloader.dataset.data_root={data_root}'
             for s in ('train', 'val', 'test')]
    print(f'\n[2/4] training {args.iters} iterations on the CPU')
    run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', train_dir,
         '--cfg-options', *SMALL_MODEL, *roots,
         f'train_cfg.max_iters={args.iters}', 'train_cfg.val_interval=10',
         'default_hooks.checkpoint.interval=10',
         'default_hooks.logger.interval=5', 'optim_wrapper.optimizer.lr=0.05',
         'train_dataloader.num_workers=2', 'val_dataloader.num_workers=1',
         'randomness.seed=0'])
    # the released checkpoint is the best one seen in validation, as in the
    # reference (a 40-iteration run on a tiny sample fluctuates at its end)
    checkpoint = glob.glob(osp.join(train_dir, 'best_mIoU_iter_*.pth'))[0]

    print(f'\n[3/4] evaluating the best checkpoint ({osp.basename(checkpoint)}) '
          'on the val split')
    out = run([sys.executable, 'tools/test.py', CONFIG, checkpoint,
               '--work-dir', osp.join(work_dir, 'test'), '--cfg-options',
               *SMALL_MODEL, *roots])
    miou = re.findall(r'Iter\(test\).*?mIoU: ([\d.]+)', out)[-1]

    print('\n[4/4] pictures')
    pictures = save_pictures(CONFIG, checkpoint, data_root,
                             osp.join(work_dir, 'predictions'),
                             args.num_pictures)
    curves = osp.join(work_dir, 'curves.png')
    plot_curves(train_dir, curves)
    print('\nDemo done.')
    print(f'  val mIoU of {osp.basename(checkpoint)}: {miou}')
    print(f'  image | ground truth | prediction: {pictures[0]} '
          f'(+{len(pictures) - 1} more in {osp.dirname(pictures[0])})')
    print(f'  training loss and val mIoU curves: {curves}')
    print(f'  checkpoint and logs: {train_dir}')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
