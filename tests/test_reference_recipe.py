"""The training recipe against the reference's own definitions: the poly
formula, black crop padding before normalization, torch's nearest resize."""
import glob
import json

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import TINY_MODEL, config, data_root_options, run_tool
from mmengine.registry import PARAM_SCHEDULERS, init_default_scope
from mmseg.registry import MODELS, TRANSFORMS

import fcn_plugin  # noqa: F401
from fcn_plugin.tooling.builder import load_config

MEAN = np.array([123.675, 116.28, 103.53])
STD = np.array([58.395, 57.12, 57.375])


def reference_lr(base, i, total, power=0.9):
    return base * (1 - i / total) ** power


def _lrs(cfg, max_iters, steps):
    """lr at ``steps`` of the config's scheduler, built as the runner does
    (``end`` defaults to ``max_iters``)."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=cfg.optim_wrapper.optimizer.lr)
    scheduler_cfg = dict(cfg.param_scheduler[0], optimizer=optimizer)
    scheduler_cfg.setdefault('end', max_iters)
    scheduler = PARAM_SCHEDULERS.build(scheduler_cfg)
    wanted, out = set(steps), {}
    for i in range(max(steps) + 1):
        if i in wanted:
            out[i] = optimizer.param_groups[0]['lr']
        optimizer.step()
        scheduler.step()
    return out


@pytest.mark.parametrize('name', ['fcn_r101_voc_321.py',
                                  'fcn_r101_cityscapes_256x512.py'])
def test_full_row_schedule_is_the_reference_formula(name):
    cfg = load_config(config(name))
    total, base = cfg.train_cfg.max_iters, cfg.optim_wrapper.optimizer.lr
    steps = [0, total // 2, total - 1]
    for i, lr in _lrs(cfg, total, steps).items():
        assert lr == pytest.approx(reference_lr(base, i, total), rel=1e-9), i
    assert _lrs(cfg, total, [total - 1])[total - 1] > 0  # not mmengine's 0


@pytest.mark.slow
def test_short_run_lr_at_every_iteration(tmp_path, voc_root):
    """A real 10-iteration run (train_cfg.max_iters=10) logs the formula's lr
    at every iteration, the last one included."""
    total = 10
    run_tool('tools/train.py', config('fcn_r101_voc_321_fp32.py'),
             '--work-dir', str(tmp_path), '--cfg-options', *TINY_MODEL,
             *data_root_options(voc_root, ('train', 'val')),
             f'train_cfg.max_iters={total}', 'train_cfg.val_interval=100',
             'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2',
             'train_dataloader.num_workers=0',
             'train_dataloader.persistent_workers=False')
    scalars = glob.glob(str(tmp_path / '*' / 'vis_data' / 'scalars.json'))
    records = [json.loads(line) for line in open(scalars[0])]
    lrs = {r['step']: r['lr'] for r in records if 'lr' in r}
    assert sorted(lrs) == list(range(1, total + 1))
    for step, lr in lrs.items():  # logged step s = iteration s - 1
        assert lr == pytest.approx(reference_lr(0.002, step - 1, total),
                                   rel=1e-9), step


def test_small_voc_crop_is_padded_black_before_normalization():
    """A 200x150 sample scaled by 0.5 (100x75) and cropped to 321x321: the
    pad is the normalized value of black, and its label is 255."""
    init_default_scope('mmseg')
    cfg = load_config(config('fcn_r101_voc_321.py'))
    steps = [dict(t) for t in cfg.train_pipeline[2:]]  # after loading
    steps[0]['ratio_range'] = (0.5, 0.5)
    h, w = 150, 200
    rng = np.random.default_rng(0)
    results = dict(img=rng.integers(1, 255, (h, w, 3), dtype=np.uint8),
                   gt_seg_map=rng.integers(0, 21, (h, w), dtype=np.uint8),
                   seg_fields=['gt_seg_map'], img_shape=(h, w),
                   ori_shape=(h, w), img_path='x.jpg', seg_map_path='x.png',
                   reduce_zero_label=False)
    for step in steps:
        results = TRANSFORMS.build(step)(results)
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    batch = preprocessor(dict(inputs=[results['inputs']],
                              data_samples=[results['data_samples']]),
                         training=True)
    image = batch['inputs'][0]
    label = batch['data_samples'][0].gt_sem_seg.data[0]
    assert image.shape == (3, 321, 321) and label.shape == (321, 321)
    black = torch.tensor((0 - MEAN) / STD, dtype=torch.float32)  # RGB
    content = label != 255
    rows, cols = content.any(1).nonzero(), content.any(0).nonzero()
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == \
        (75, 100)
    pad = ~content
    pad[rows.min():rows.max() + 1, cols.min():cols.max() + 1] = False
    assert pad.sum() == 321 * 321 - 75 * 100
    assert torch.allclose(image[:, pad].T, black.expand(int(pad.sum()), 3))
    assert torch.isclose(black, torch.tensor([-2.1179, -2.0357, -1.8044]),
                         atol=1e-4).all()


def _scale_label(label, scale):
    init_default_scope('mmseg')
    step = TRANSFORMS.build(dict(type='RandomScale',
                                 ratio_range=(scale, scale)))
    h, w = label.shape
    out = step(dict(img=np.zeros((h, w, 3), np.uint8), gt_seg_map=label,
                    seg_fields=['gt_seg_map']))
    return out['gt_seg_map']


def test_label_resize_is_torch_nearest():
    """Many sizes and scales, among them scales where i * in / out is an
    exact integer (where OpenCV's double-precision nearest differs)."""
    rng = np.random.default_rng(0)
    cases = [(500, 375, 0.6), (333, 500, 0.9), (300, 400, 1.2),
             (375, 500, 1.5), (321, 321, 0.5)]
    cases += [(int(rng.integers(100, 600)), int(rng.integers(100, 600)),
               float(rng.uniform(0.5, 1.5))) for _ in range(200)]
    cases += [(512, 1024, float(rng.uniform(0.5, 1.5))) for _ in range(20)]
    cases += [(511, 1023, 0.75), (1024, 2048, 1.25)]  # odd, full size
    opencv_differs = 0
    for h, w, scale in cases:
        label = rng.integers(0, 21, (h, w), dtype=np.uint8)
        ours = _scale_label(label, scale)
        size = (int(scale * h), int(scale * w))
        expected = F.interpolate(torch.from_numpy(label)[None, None].float(),
                                 size=size, mode='nearest')[0, 0].byte()
        assert np.array_equal(ours, expected.numpy()), (h, w, scale)
        opencv = cv2.resize(label, size[::-1],
                            interpolation=cv2.INTER_NEAREST)
        opencv_differs += not np.array_equal(opencv, ours)
    assert opencv_differs > 0  # the cases do reach where the two disagree
