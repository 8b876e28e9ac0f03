"""tools/reproduce_table.py here, as a user runs it from a folder holding
data/ in the rows' layouts: every row trained --runs times, each run's best
checkpoint tested (Cityscapes also at full resolution), the table's average
and best equal to the mean and max of what tools/test.py prints for those
checkpoints; a rerun trains nothing; a failed row is named and retried by
the same command; a signal stops it with a checkpoint it resumes from."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO, TINY_MODEL, config, run_tool

pytestmark = pytest.mark.slow
VOC, CITYSCAPES = 'fcn_r101_voc_321_fp32', 'fcn_r101_cityscapes_256x512'
# lr 0.05 (the tiny model learns in a few iterations): two seeds score
# distinct, non-zero mIoUs, so the average and best are not trivially equal
OPTIONS = [*TINY_MODEL, 'train_cfg.max_iters=2', 'train_cfg.val_interval=1',
           'optim_wrapper.optimizer.lr=0.05',
           'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
           'train_dataloader.persistent_workers=False',
           'val_dataloader.num_workers=0',
           'val_dataloader.persistent_workers=False',
           'test_dataloader.num_workers=0',
           'test_dataloader.persistent_workers=False']


def _user_folder(tmp_path, voc_root, cityscapes_root=None):
    """A user's folder: data/ in the layouts the rows read by default."""
    (tmp_path / 'data/VOCdevkit').mkdir(parents=True)
    (tmp_path / 'data/VOCdevkit/VOC2012').symlink_to(voc_root)
    if cityscapes_root:
        (tmp_path / 'data/cityscapes').symlink_to(cityscapes_root)
    return tmp_path


def _table(tmp_path, *args, options=OPTIONS, check=True):
    return run_tool(os.path.join(REPO, 'tools/reproduce_table.py'), *args, '--work-root',
                    str(tmp_path / 'table'), '--cfg-options', *options,
                    cwd=tmp_path, check=check, timeout=1200)


def _printed_miou(cfg, checkpoint, cwd):
    """What tools/test.py prints for ``checkpoint``."""
    out = run_tool(os.path.join(REPO, 'tools/test.py'), config(cfg), checkpoint, '--work-dir',
                   str(cwd / 'check'), '--cfg-options', *TINY_MODEL, cwd=cwd)
    return float(re.findall(r'Iter\(test\).*?mIoU: ([\d.]+)', out.stdout)[-1])


def test_table_of_two_rows_a_failed_row_and_a_rerun(
        tmp_path, voc_root, cityscapes_root):
    # Cityscapes with a label file lost: its folders pass the check before
    # anything runs, its runs fail when their dataset lists the files
    cities = tmp_path / 'cityscapes'
    shutil.copytree(cityscapes_root, cities)
    label = sorted((cities / 'gtFine/train').rglob('*_labelIds.png'))[0]
    kept = label.read_bytes()
    label.unlink()
    user = _user_folder(tmp_path, voc_root, cities)
    first = _table(user, VOC, CITYSCAPES, '--runs', '2', check=False)
    assert first.returncode == 1, first.stdout[-2000:]
    assert re.search(rf'not in the table: {CITYSCAPES} run1: \S+/run1/'
                     r'train\.log: error: CityscapesLabelIdDataset: 1 of 4 '
                     r'label files listed by \S+ are missing: \S+'
                     + label.name, first.stderr), first.stderr
    assert 'error: 2 of 4 run(s) not scored' in first.stderr
    table = json.loads((user / 'table/table.json').read_text())
    voc, cityscapes = table['rows']
    assert (voc['runs_scored'], cityscapes['runs_scored']) == (2, 0)
    assert cityscapes['miou_avg'] is None
    markdown = (user / 'table/table.md').read_text()
    assert f'| 3 | {CITYSCAPES} | 0 of 2 | - | - | 68.05 / 68.20 |' in \
        markdown
    voc_stamps = {p: p.stat().st_mtime_ns
                  for p in (user / 'table' / VOC).rglob('*.pth')}

    label.write_bytes(kept)  # the fix
    again = _table(user, VOC, CITYSCAPES, '--runs', '2')
    assert '2 trained already, 2 to train' in again.stdout, again.stdout
    assert f'{VOC} run1: testing' not in again.stdout  # scored already
    assert {p: p.stat().st_mtime_ns for p in (user / 'table' / VOC).rglob(
        '*.pth')} == voc_stamps
    table = json.loads((user / 'table/table.json').read_text())
    for row, name in zip(table['rows'], (VOC, CITYSCAPES)):
        assert row['runs_scored'] == row['runs_expected'] == 2
        assert [run['seed'] for run in row['runs']] == [0, 1]
        assert all(os.path.basename(run['checkpoint']).startswith(
            'best_mIoU_iter_') for run in row['runs'])
        own = [_printed_miou(f'{name}.py', run['checkpoint'], user)
               for run in row['runs']]
        assert [run['miou'] for run in row['runs']] == own
        if name == VOC:
            assert min(own) > 0 and own[0] != own[1], own
        assert row['miou_avg'] == round(sum(own) / len(own), 2)
        assert row['miou_best'] == max(own)
    full = [_printed_miou(f'{CITYSCAPES}_fullres_test.py', run['checkpoint'],
                          user) for run in table['rows'][1]['runs']]
    assert [r['miou_full_resolution'] for r in table['rows'][1]['runs']] == \
        full
    assert table['rows'][1]['full_resolution'] == {
        'miou_avg': round(sum(full) / 2, 2), 'miou_best': max(full)}
    assert 'full_resolution' not in table['rows'][0]
    assert table['rows'][0]['reference'] == {
        'miou_avg': 70.91, 'miou_best': 71.55, 'train_hours': 6.3}

    before = (user / 'table/table.json').read_bytes()
    other = _table(user, VOC, '--runs', '2', options=[
        *OPTIONS, 'optim_wrapper.optimizer.lr=0.1'], check=False)
    assert other.returncode == 1 and other.stderr.count('\n') == 1
    assert 'holds a run made with other settings (cfg_options: now also ' \
        'optim_wrapper.optimizer.lr=0.1)' in other.stderr, other.stderr
    assert (user / 'table/table.json').read_bytes() == before


@pytest.mark.parametrize('args, message', [
    (['fcn_r101_voc_32'], 'no config fcn_r101_voc_32: give a config file, '
     'or a row of the table: fcn_r101_voc_321, fcn_r101_voc_321_fp32, '
     'fcn_r101_cityscapes_256x512'),
    ([VOC, '--runs', '0'], 'argument --runs: 0 is out of range: at least 1'),
    ([VOC, '--cfg-options', 'randomness.seed=3'], 'each run has its own seed'),
    ([VOC, '--slurm', 'debug', '--gpus', '2'], 'with --slurm, GPUS'),
    ([VOC], 'ImageNet checkpoint not found: checkpoints/resnet101'),  # as is
    ([CITYSCAPES, '--cfg-options', 'model.backbone.init_cfg=None'],
     'CityscapesLabelIdDataset: data_root data/cityscapes does not exist'),
])
def test_bad_input_is_one_line(tmp_path, args, message):
    out = run_tool(os.path.join(REPO, 'tools/reproduce_table.py'), *args, '--work-root',
                   str(tmp_path / 'table'), cwd=tmp_path, check=False)
    assert out.returncode == 1, out.stdout
    assert out.stderr.count('\n') == 1 and message in out.stderr, out.stderr
    assert not (tmp_path / 'table').exists()


def test_a_signal_stops_a_run_at_a_checkpoint_and_the_rerun_resumes(
        tmp_path, voc_root):
    user = _user_folder(tmp_path, voc_root)
    options = [*OPTIONS, 'train_cfg.max_iters=8',
               'default_hooks.checkpoint.interval=2',
               'default_hooks.logger.interval=1', 'train_cfg.val_interval=100']
    command = [sys.executable, os.path.join(REPO, 'tools/reproduce_table.py'),
               VOC, '--runs', '1', '--work-root', str(user / 'table'),
               '--cfg-options', *options]
    run = user / 'table' / VOC / 'run1'
    proc = subprocess.Popen(command, cwd=user, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (run / 'iter_2.pth').exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)  # to the tool alone, not its group
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.strip().splitlines()[-1] == (
        'error: SIGTERM: stopped; a training under way checkpointed. The '
        'same command continues the table.'), err
    stopped = re.search(r'SIGTERM: stopped after iteration (\d+)',
                        (run / 'train.log').read_text())
    assert stopped, (run / 'train.log').read_text()[-2000:]
    record = json.loads((run / 'run.json').read_text())
    assert not record.get('trained') and record['train_seconds'] > 0
    again = run_tool(*command[1:], '--profile', '--profile-iters', '1',
                     cwd=user)
    assert f'Resuming at iteration {stopped.group(1)}' in \
        (run / 'train.log').read_text()
    assert 'mIoU' in again.stdout
    table = json.loads((user / 'table/table.json').read_text())
    assert table['rows'][0]['runs_scored'] == 1
    profile = table['profile']
    assert [row['shape'] for row in profile['rows']] == [
        [256, 512], [512, 1024], [1024, 2048]]
    for row in profile['rows']:  # as get_flops.py prints them
        printed = run_tool(os.path.join(REPO, 'tools/analysis/get_flops.py'),
                           config(f'{VOC}.py'), '--shape', *map(str, row['shape']),
                           '--cfg-options', *TINY_MODEL, cwd=user).stdout
        assert f"FLOPs(G): {row['flops_g']:.2f}" in printed
        assert f"Params(M): {row['params_m']:.2f}" in printed
        assert row['fps'] > 0
    assert profile['device'] in (user / 'table/table.md').read_text()
