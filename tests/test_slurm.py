"""The SLURM route against a real scheduler (tests/slurm_cluster.py: Debian's
slurm-wlm, one node with this machine's CPUs and no GPUs), as a user runs
it: tools/slurm_train.sh and slurm_test.sh with GPUS_PER_NODE=0, the
requeueable batch job of tools/slurm_submit.sh preempted by ``scontrol
requeue``, warned of its time limit (SLURM's ``--signal`` to the batch
shell), cancelled by ``scancel``, and tools/reproduce_table.py --slurm."""
import json
import os
import re
import subprocess
import sys
import time

import pytest
import torch
from conftest import REPO, TINY_MODEL, config, data_root_options, run_tool

from fcn_plugin.weights import load_checkpoint_file

pytestmark = pytest.mark.slow
CONFIG = config('fcn_r101_voc_321_fp32.py')
MAX_ITERS = 20
SLURM_COMMANDS = ('srun', 'sbatch', 'sinfo', 'scontrol', 'squeue', 'scancel')


def _options(root):
    return [*TINY_MODEL, *data_root_options(root, ('train', 'val')),
            f'train_cfg.max_iters={MAX_ITERS}', 'train_cfg.val_interval=100',
            'default_hooks.checkpoint.interval=3',
            'default_hooks.checkpoint.max_keep_ckpts=10',
            'default_hooks.logger.interval=1',
            'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False',
            'val_dataloader.num_workers=0',
            'val_dataloader.persistent_workers=False',
            'randomness.seed=0', 'randomness.deterministic=True']


def _env(slurm, **variables):
    env = dict(os.environ, **slurm, PYTHON=sys.executable,
               PYTHONUNBUFFERED='1', GPUS='2', GPUS_PER_NODE='0',
               CPUS_PER_TASK='1')
    env.update(variables)
    return env


def _script(name, *args, env, cwd, timeout=600):
    return subprocess.run(['bash', os.path.join(REPO, 'tools', name), *args],
                          env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def _slurm(env, *args):
    return subprocess.run(list(args), env=env, capture_output=True, text=True,
                          check=True, timeout=60).stdout


def _wait(what, check, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f'{what}: not within {timeout} s')


def _job_field(env, job, field):
    shown = _slurm(env, 'scontrol', 'show', 'job', job)
    return re.search(rf'\b{field}=(\S+)', shown).group(1)


def _in_queue(env, job):
    return job in _slurm(env, 'squeue', '-h', '-o', '%i').split()


def _assert_same_weights(a, b):
    a, b = load_checkpoint_file(a)['state_dict'], \
        load_checkpoint_file(b)['state_dict']
    assert a.keys() == b.keys()
    worst = max((a[k].double() - b[k].double()).abs().max().item()
                for k in a if a[k].is_floating_point())
    assert worst == 0, f'max weight difference {worst}'
    assert all(torch.equal(a[k], b[k]) for k in a)


def _submit(env, tmp_path, work_dir, options):
    out = _script('slurm_submit.sh', 'debug', 'fcn-test', CONFIG,
                  '--work-dir', str(work_dir), '--cfg-options', *options,
                  env=dict(env, SBATCH_ARGS=f'--output={tmp_path}/job-%j.out'),
                  cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    job = re.search(r'submitted job (\d+): log (\S+)', out.stdout)
    assert job, out.stdout
    return job.group(1), tmp_path / f'job-{job.group(1)}.out'


@pytest.fixture(scope='module')
def uninterrupted(slurm, voc_root, tmp_path_factory):
    """A 2-task training through tools/slurm_train.sh (srun, no batch job),
    never interrupted: its final checkpoint is what resumed runs must equal."""
    tmp = tmp_path_factory.mktemp('slurm_uninterrupted')
    done = _script('slurm_train.sh', 'debug', 'fcn-test', CONFIG,
                   '--work-dir', str(tmp / 'run'), '--cfg-options',
                   *_options(voc_root), env=_env(slurm), cwd=tmp)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return tmp / 'run', done.stdout + done.stderr


def test_two_tasks_train_on_a_cpu_partition_and_test_scores(
        slurm, uninterrupted, voc_root, tmp_path):
    run, output = uninterrupted
    assert 'distributed True, world size 2' in output, output[-3000:]
    assert 'No GPU: DDP runs on CPU over gloo' in output
    assert f'Iter(train) [{MAX_ITERS}/{MAX_ITERS}]' in output
    assert (run / f'iter_{MAX_ITERS}.pth').is_file()
    tested = _script('slurm_test.sh', 'debug', 'fcn-test', CONFIG,
                     str(run / f'iter_{MAX_ITERS}.pth'), '--work-dir',
                     str(tmp_path / 'test'), '--cfg-options', *TINY_MODEL,
                     *data_root_options(voc_root, ('val', 'test')),
                     env=_env(slurm), cwd=tmp_path)
    assert tested.returncode == 0, tested.stderr[-3000:]
    assert re.search(r'Iter\(test\) \[\d+/\d+\].*mIoU: \d+\.\d+',
                     tested.stdout), tested.stdout[-2000:]


def test_requeued_and_time_warned_job_resumes_to_the_same_weights(
        slurm, uninterrupted, voc_root, tmp_path):
    env = _env(slurm)
    job, log = _submit(env, tmp_path, tmp_path / 'run', _options(voc_root))
    _wait('first checkpoint', lambda: (tmp_path / 'run/iter_3.pth').exists())
    _slurm(env, 'scontrol', 'requeue', job)  # what a preemption does
    _wait('restart 1', lambda: 'start 1 on' in log.read_text())
    stopped = re.findall(r'SIGTERM: stopped after iteration (\d+)',
                         log.read_text())
    assert len(stopped) == 1, log.read_text()[-3000:]
    # trained on after the restart: then the time-limit warning, USR1 to
    # the batch shell, as --signal=B:USR1@180 sends it
    _wait('training after the restart', lambda: re.search(
        rf'Iter\(train\) \[\s*{int(stopped[0]) + 2}/', log.read_text()))
    _slurm(env, 'scancel', '--signal=USR1', '--batch', job)
    _wait('restart 2', lambda: 'start 2 on' in log.read_text())
    _wait('the job ending', lambda: not _in_queue(env, job))
    text = log.read_text()
    assert 'training finished' in text.splitlines()[-1], text[-3000:]
    assert text.count('job {} end at'.format(job)) == 3, text[-3000:]
    assert int(_job_field(env, job, 'Restarts')) == 2
    assert _job_field(env, job, 'JobState') == 'COMPLETED'
    assert 'time limit near: checkpointed, requeued to resume' in text
    stops = re.findall(r'SIGTERM: stopped after iteration (\d+)', text)
    assert len(stops) == 2 and int(stops[1]) < MAX_ITERS, stops
    for iteration in stops:
        assert f'Resuming at iteration {iteration}' in text, text[-3000:]
    _assert_same_weights(tmp_path / f'run/iter_{MAX_ITERS}.pth',
                         uninterrupted[0] / f'iter_{MAX_ITERS}.pth')


def test_scancel_leaves_a_checkpoint_and_resume_continues_exactly(
        slurm, uninterrupted, voc_root, tmp_path):
    env = _env(slurm)
    job, log = _submit(env, tmp_path, tmp_path / 'run', _options(voc_root))
    _wait('first checkpoint', lambda: (tmp_path / 'run/iter_3.pth').exists())
    _slurm(env, 'scancel', job)
    _wait('the job ending', lambda: not _in_queue(env, job))
    text = log.read_text()
    stops = re.findall(r'SIGTERM: stopped after iteration (\d+), checkpoint '
                       r'(\S+)\. Continue with --resume\.', text)
    assert len(stops) == 1, text[-3000:]  # one line
    assert 'Traceback' not in text, text[-3000:]
    iteration, checkpoint = stops[0]
    assert checkpoint == str(tmp_path / f'run/iter_{iteration}.pth')
    assert load_checkpoint_file(checkpoint)['meta']['iter'] == int(iteration)
    assert _job_field(env, job, 'JobState') == 'CANCELLED'
    assert 'ended by SLURM' in text.splitlines()[-1]
    again = _script('slurm_train.sh', 'debug', 'fcn-test', CONFIG,
                    '--work-dir', str(tmp_path / 'run'), '--cfg-options',
                    *_options(voc_root), env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f'Resuming at iteration {iteration}' in again.stdout + again.stderr
    _assert_same_weights(tmp_path / f'run/iter_{MAX_ITERS}.pth',
                         uninterrupted[0] / f'iter_{MAX_ITERS}.pth')


def _path_without_slurm(tmp_path):
    """A PATH with every command of this machine's but SLURM's."""
    folder = tmp_path / 'bin'
    folder.mkdir()
    for entry in os.environ['PATH'].split(os.pathsep):
        if not os.path.isdir(entry):
            continue
        for name in os.listdir(entry):
            target = folder / name
            if name not in SLURM_COMMANDS and not target.exists():
                target.symlink_to(os.path.join(entry, name))
    return str(folder)


@pytest.mark.parametrize('script', ['slurm_train.sh', 'slurm_submit.sh'])
def test_bad_cluster_input_is_one_line(slurm, tmp_path, script):
    env = _env(slurm)
    cases = [
        (dict(PATH=_path_without_slurm(tmp_path)), 'debug',
         'is not on PATH: run this on a SLURM login node'),
        ({}, 'nosuch', "SLURM has no partition 'nosuch'; the partitions "
         'here: debug'),
        (dict(GPUS='two'), 'debug', 'GPUS=two is not a whole number'),
        (dict(GPUS_PER_NODE='2'), 'debug', 'partition debug has no GPUs'),
        (dict(CPUS_PER_TASK='999'), 'debug', 'CPUS_PER_TASK=999, but the '
         'nodes of partition debug have at most'),
    ]
    before = _slurm(env, 'squeue', '-h', '-o', '%i')
    for variables, partition, message in cases:
        out = _script(script, partition, 'fcn-test', CONFIG, env=dict(
            env, **variables), cwd=tmp_path)
        assert out.returncode == 1, (variables, out.stdout, out.stderr)
        assert out.stderr.count('\n') == 1 and out.stderr.startswith(
            'error: ') and message in out.stderr, (variables, out.stderr)
        assert out.stdout == ''
    assert 'set GPUS_PER_NODE=0' in _script(
        script, 'debug', 'x', CONFIG, env=dict(env, GPUS_PER_NODE='2'),
        cwd=tmp_path).stderr
    assert _slurm(env, 'squeue', '-h', '-o', '%i') == before  # none queued
    assert os.listdir(tmp_path) == ['bin']


@pytest.mark.parametrize('script, args, message', [
    ('slurm_train.sh', ('configs/fcn_r101_voc_312.py',),
     'config file configs/fcn_r101_voc_312.py does not exist'),
    ('slurm_submit.sh', (CONFIG, '--cfg-options',
                         'model.backbone.init_cfg=None'),
     'data_root data/VOCdevkit/VOC2012 does not exist'),
    ('slurm_test.sh', (CONFIG, 'nope.pth'), 'checkpoint not found: nope.pth'),
])
def test_bad_arguments_are_one_line_before_anything_is_queued(
        slurm, tmp_path, script, args, message):
    """Checked once where the command is typed (not once per task, after a
    wait in the queue, followed by srun's report of the failed tasks)."""
    env = _env(slurm)
    before = _slurm(env, 'squeue', '-h', '-o', '%i')
    out = _script(script, 'debug', 'fcn-test', *args, env=env, cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert out.stderr.count('\n') == 1 and out.stderr.startswith(
        'error: ') and message in out.stderr, out.stderr
    assert out.stdout == ''
    assert _slurm(env, 'squeue', '-h', '-o', '%i') == before
    assert os.listdir(tmp_path) == []  # no job ran: no log, no work dir


def _printed_miou(checkpoint, root):
    out = run_tool('tools/test.py', CONFIG, str(checkpoint), '--work-dir',
                   str(checkpoint.parent / 'check'), '--cfg-options',
                   *TINY_MODEL, *data_root_options(root, ('val', 'test')))
    return float(re.findall(r'Iter\(test\).*?mIoU: ([\d.]+)', out.stdout)[-1])


def test_reproduce_table_on_slurm_and_a_rerun_trains_nothing(
        slurm, voc_root, tmp_path):
    options = [*TINY_MODEL, *data_root_options(voc_root), *[
        o for o in _options(voc_root) if o.startswith(
            ('train_dataloader.b', 'train_dataloader.n', 'train_dataloader.p',
             'val_dataloader.'))]]
    command = ['tools/reproduce_table.py', 'fcn_r101_voc_321_fp32', '--runs',
               '2', '--work-root', str(tmp_path / 'table'), '--slurm',
               'debug', '--cfg-options', *options, 'train_cfg.max_iters=2',
               'train_cfg.val_interval=1', 'optim_wrapper.optimizer.lr=0.05']
    env = {**slurm, 'GPUS': '1', 'GPUS_PER_NODE': '0', 'CPUS_PER_TASK': '1',
           'FCN_SLURM_POLL_S': '1', 'PYTHON': sys.executable}
    first = run_tool(*command, env=env, timeout=900)
    assert re.findall(r'submitted job (\d+)', first.stdout).__len__() == 2
    table = json.loads((tmp_path / 'table/table.json').read_text())
    row, = table['rows']
    assert row['runs_scored'] == row['runs_expected'] == 2
    own = [_printed_miou(tmp_path / 'table' / 'fcn_r101_voc_321_fp32' /
                         f'run{k}' / os.path.basename(run['checkpoint']),
                         voc_root) for k, run in enumerate(row['runs'], 1)]
    assert [run['miou'] for run in row['runs']] == own
    assert min(own) > 0 and own[0] != own[1], own  # lr 0.05: seeds differ
    assert row['miou_avg'] == round(sum(own) / 2, 2)
    assert row['miou_best'] == max(own)
    assert [run['seed'] for run in row['runs']] == [0, 1]
    assert row['reference'] == {'miou_avg': 70.91, 'miou_best': 71.55,
                                'train_hours': 6.3}
    assert all(run['train_seconds'] > 0 for run in row['runs'])
    checkpoints = sorted((tmp_path / 'table').rglob('*.pth'))
    stamps = [p.stat().st_mtime_ns for p in checkpoints]
    again = run_tool(*command, env=env, timeout=900)
    assert '0 to train' in again.stdout and 'submitted' not in again.stdout
    assert 'testing' not in again.stdout
    assert sorted((tmp_path / 'table').rglob('*.pth')) == checkpoints
    assert [p.stat().st_mtime_ns for p in checkpoints] == stamps
    assert json.loads((tmp_path / 'table/table.json').read_text())['rows'] \
        == table['rows']
