"""``--resume`` with changed options, against the weights and the logged
learning rate (the reference's poly formula, computed here): another rate
continues the schedule at it; another length stops with one line, and the
way it names (``load_from=``, another work dir) trains; a diverged run names
a checkpoint that exists, and following its advice finishes the run."""
import json
import os

import pytest
import torch
from conftest import TINY_MODEL, config, data_root_options, run_tool

from fcn_plugin.weights import load_checkpoint_file

pytestmark = pytest.mark.slow
CONFIG = config('fcn_r101_voc_321_fp32.py')


def _train(work_dir, root, *extra, check=True, resume=False):
    return run_tool(
        'tools/train.py', CONFIG, '--work-dir', str(work_dir),
        *(['--resume'] if resume else []), '--cfg-options', *TINY_MODEL, *data_root_options(root, ('train',
                                                               'val')),
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1', 'randomness.seed=0',
        'default_hooks.checkpoint.interval=2', 'train_cfg.val_begin=100',
        *extra, check=check)


def _logged_lr(work_dir):
    """``{iteration: lr}`` of every run in ``work_dir`` (scalars.json)."""
    lr = {}
    for run in sorted(os.listdir(work_dir)):
        scalars = os.path.join(work_dir, run, 'vis_data', 'scalars.json')
        if os.path.isfile(scalars):
            with open(scalars) as f:
                for line in f:
                    record = json.loads(line)
                    if 'lr' in record:
                        lr[record['step']] = record['lr']
    return lr


def _poly(base, iteration, total):
    """The reference: lr = base * (1 - it / total) ** 0.9, it = 0 ..."""
    return base * (1 - (iteration - 1) / total) ** 0.9


def _bytes(folder):
    return {p: p.read_bytes() for p in folder.rglob('*') if p.is_file()}


def test_resume_with_another_lr_or_length(tmp_path, voc_root):
    first = tmp_path / 'first'
    _train(first, voc_root, 'train_cfg.max_iters=4',
           'optim_wrapper.optimizer.lr=0.01')
    lr = _logged_lr(first)
    assert [round(lr[i], 12) for i in (1, 2, 3, 4)] == [
        round(_poly(0.01, i, 4), 12) for i in (1, 2, 3, 4)]

    # longer: refused, one line, nothing of the run changed
    before = _bytes(first)
    longer = _train(first, voc_root, 'train_cfg.max_iters=6',
                    'optim_wrapper.optimizer.lr=0.01', check=False,
                    resume=True)
    assert longer.returncode == 1 and 'Traceback' not in longer.stderr
    line, = longer.stderr.strip().splitlines()
    assert 'schedule ends at iteration 4, this config\'s at 6' in line, line
    assert f'--cfg-options load_from={first}/iter_4.pth ' \
        'train_cfg.max_iters=6 and another --work-dir' in line
    assert _bytes(first) == before
    # ... and the way it names: a new schedule from those weights
    new = tmp_path / 'from_weights'
    _train(new, voc_root, f'load_from={first}/iter_4.pth',
           'train_cfg.max_iters=6', 'optim_wrapper.optimizer.lr=0.0')
    lr = _logged_lr(new)
    assert sorted(lr) == [1, 2, 3, 4, 5, 6] and set(lr.values()) == {0.0}
    saved = load_checkpoint_file(str(first / 'iter_4.pth'))['state_dict']
    trained = load_checkpoint_file(str(new / 'iter_6.pth'))['state_dict']
    for key in saved:  # lr 0 from iter_4's weights: every weight kept
        if key.endswith(('.weight', '.bias')) and 'bn' not in key:
            assert torch.equal(saved[key], trained[key]), key

    # another rate: the schedule goes on at it, from the resumed iteration
    lower = tmp_path / 'lower'
    lower.mkdir()
    (lower / 'iter_2.pth').write_bytes((first / 'iter_2.pth').read_bytes())
    out = _train(lower, voc_root, 'train_cfg.max_iters=4',
                 'optim_wrapper.optimizer.lr=0.001', resume=True)
    assert '--resume: lr 0.001 from the config (the checkpoint\'s run: ' \
        '0.01)' in out.stdout + out.stderr
    lr = _logged_lr(lower)
    assert sorted(lr) == [3, 4]
    for i in (3, 4):
        assert lr[i] == pytest.approx(_poly(0.001, i, 4), rel=1e-9)


def test_divergence_names_a_checkpoint_and_its_advice_works(tmp_path,
                                                            voc_root):
    """Two iterations at a sane rate, then resumed at one that diverges:
    the line names the newest checkpoint on disk (mmengine had noted the
    name of the one refused, never written), no checkpoint of non-finite
    weights is written, and its advice finishes the run at the schedule's
    rate."""
    work = tmp_path / 'diverge'
    _train(work, voc_root, 'optim_wrapper.optimizer.lr=0.01',
           'train_cfg.max_iters=8', 'default_hooks.checkpoint.interval=1',
           'default_hooks.checkpoint.max_keep_ckpts=10')
    (work / 'last_checkpoint').write_text(str(work / 'iter_2.pth'))
    for late in range(3, 9):
        (work / f'iter_{late}.pth').unlink()
    proc = _train(work, voc_root, 'optim_wrapper.optimizer.lr=1e9',
                  'train_cfg.max_iters=8',
                  'default_hooks.checkpoint.interval=1', check=False,
                  resume=True)
    assert proc.returncode == 1
    line, = proc.stderr.strip().splitlines()
    assert line.startswith('error: training diverged'), line
    stopped = int(line.split('at iteration ')[1].split(';')[0])
    named = line.split('from its last checkpoint, ')[1].split(' (should')[0]
    assert os.path.isfile(named), line  # a file that exists
    assert named == str(work / f'iter_{stopped - 1}.pth')
    assert '--resume --cfg-options optim_wrapper.optimizer.lr=1e+08 ' \
        'continues' in line, line
    # the advice, followed with a sane rate: its last checkpoint was
    # already spoiled by the huge steps (BN statistics of ~1e16), so the
    # resumed run diverges again and says so, naming the same checkpoint;
    # the advice's fallback, a new start at that rate, trains
    again = _train(work, voc_root, 'train_cfg.max_iters=8',
                   'default_hooks.checkpoint.interval=1',
                   'optim_wrapper.optimizer.lr=0.01', resume=True,
                   check=False)
    if again.returncode:
        line, = again.stderr.strip().splitlines()
        assert f'from its last checkpoint, {named} (should that diverge ' \
            'too' in line, line
        work = tmp_path / 'restart'
        _train(work, voc_root, 'train_cfg.max_iters=8',
               'optim_wrapper.optimizer.lr=0.01')
        stopped = 1
    assert (work / 'iter_8.pth').is_file()
    lr = _logged_lr(work)
    for i in range(stopped, 9):
        assert lr[i] == pytest.approx(_poly(0.01, i, 8), rel=1e-9)
