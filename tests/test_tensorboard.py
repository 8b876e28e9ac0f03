"""``--cfg-options tensorboard=True``: a row logs to TensorBoard.

The event file is read back with TensorBoard's own reader and compared
with what mmengine's ``LocalVisBackend`` wrote in the same run
(``scalars.json``): the training loss and lr at each logging iteration, the
mIoU of each validation.
"""
import glob
import json
import os.path as osp

import pytest
from tensorboard.backend.event_processing import event_accumulator
from conftest import TINY_MODEL, config, data_root_options, run_tool

SHORT_RUN = [
    *TINY_MODEL, 'train_cfg.max_iters=4', 'train_cfg.val_interval=2',
    'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
]


def _local_scalars(work_dir):
    """``{tag: {step: value}}`` from LocalVisBackend's scalars.json."""
    path, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    scalars = {}
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            step = record.pop('step')
            for tag, value in record.items():
                scalars.setdefault(tag, {})[step] = value
    return scalars


def test_row_logs_loss_lr_and_miou_to_tensorboard(tmp_path, voc_root):
    proc = run_tool('tools/train.py', config('fcn_r101_voc_321.py'),
                    '--work-dir', str(tmp_path), '--cfg-options', *SHORT_RUN,
                    *data_root_options(voc_root, ('train', 'val')),
                    'tensorboard=True')
    assert f'TensorBoard: tensorboard --logdir {tmp_path}' in proc.stdout
    events, = glob.glob(str(tmp_path / '*' / 'vis_data' / 'events.out.*'))
    reader = event_accumulator.EventAccumulator(events)
    reader.Reload()
    logged = {tag: {e.step: e.value for e in reader.Scalars(tag)}
              for tag in reader.Tags()['scalars']}
    local = _local_scalars(tmp_path)
    assert set(logged['loss']) == {1, 2, 3, 4}
    assert set(logged['mIoU']) == {2, 4}
    for tag in ('loss', 'lr', 'mIoU'):
        assert logged[tag] == pytest.approx(local[tag], rel=1e-6), tag
    assert all(0 <= v <= 100 for v in logged['mIoU'].values())


def test_tensorboard_missing_is_one_line(tmp_path, voc_root):
    """A user without the package: one line before the run starts."""
    fake = tmp_path / 'site'
    (fake / 'tensorboard').mkdir(parents=True)
    (fake / 'tensorboard' / '__init__.py').write_text(
        "raise ModuleNotFoundError(\"No module named 'tensorboard'\", "
        "name='tensorboard')\n")
    work_dir = tmp_path / 'wd'
    proc = run_tool('tools/train.py', config('fcn_r101_voc_321.py'),
                    '--work-dir', str(work_dir), '--cfg-options', *SHORT_RUN,
                    *data_root_options(voc_root, ('train', 'val')),
                    'tensorboard=True', check=False,
                    env={'PYTHONPATH': str(fake)})
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    assert ('error: tensorboard=True needs the tensorboard package'
            in proc.stderr)
    assert 'pip install tensorboard' in proc.stderr
    assert not glob.glob(str(work_dir / '*.pth'))
