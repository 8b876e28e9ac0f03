"""tools/dist_train.sh and dist_test.sh as a user runs them, when something is
wrong: a bad argument is one line before any task starts (not one per task,
then torchrun's ChildFailedError traceback), a task that fails ends the
launch in one line of torchrun's outcome, and SIGTERM to the launcher is one
line after every task has checkpointed."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import (REPO, TINY_MODEL, config, data_root_options,
                      stand_in_slurm)

from fcn_plugin.tooling.synthetic_data import make_voc_sample

CONFIG = config('fcn_r101_voc_321_fp32.py')
SMALL = ['train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         'val_dataloader.num_workers=0',
         'val_dataloader.persistent_workers=False',
         'default_hooks.logger.interval=1']


def _launch(script, *args, cwd, port, python=sys.executable, **popen):
    env = dict(os.environ, PYTHON=python, PORT=port,
               OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    command = ['bash', os.path.join(REPO, 'tools', script), *args]
    if popen:
        return subprocess.Popen(command, cwd=cwd, env=env, text=True,
                                **popen)
    return subprocess.run(command, cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=600)


@pytest.mark.parametrize('args, message', [
    (('configs/fcn_r101_voc_312.py', '2'),
     'config file configs/fcn_r101_voc_312.py does not exist'),
    ((CONFIG, '2', '--cfg-options', 'model.backbone.init_cfg=None'),
     'data_root data/VOCdevkit/VOC2012 does not exist'),
    ((CONFIG, '2'), 'ImageNet checkpoint not found'),
    ((CONFIG, 'two'), 'GPUS=two: give the number of processes'),
    ((CONFIG,), 'usage: '),
])
def test_dist_train_bad_arguments_are_one_line_before_any_task(
        tmp_path, args, message):
    out = _launch('dist_train.sh', *args, cwd=tmp_path, port='29541')
    assert out.returncode == 1, out.stderr
    assert out.stderr.count('\n') == 1 and out.stderr.startswith('error: ') \
        and message in out.stderr, out.stderr
    assert out.stdout == ''
    assert os.listdir(tmp_path) == []  # no task started: no work dir


@pytest.fixture(scope='module')
def bare_python(tmp_path_factory):
    """A real Python 3 without the stack: a new venv's interpreter."""
    venv = tmp_path_factory.mktemp('bare-venv')
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)],
                   check=True)
    return str(venv / 'bin' / 'python')


@pytest.mark.parametrize('script', ['dist_train.sh', 'slurm_train.sh'])
def test_a_python_without_the_stack_is_one_line(tmp_path, bare_python,
                                                script):
    """PYTHON (default: the `python` on PATH) is what every task runs; one
    without torch, or none at all, is named once, before anything starts
    (not a ModuleNotFoundError traceback from each task). srun and sinfo
    are stand-ins here that would print that they ran."""
    fake = stand_in_slurm(tmp_path / 'bin')
    work = tmp_path / 'work'
    work.mkdir()
    args = (['debug', 'fcn'] if script.startswith('slurm') else []) + [CONFIG]
    args += ['2'] if script.startswith('dist') else []
    path = os.pathsep.join([fake, os.environ['PATH']])
    for python, message in [
            (bare_python, f'error: PYTHON={bare_python} ({bare_python}) '
             'cannot import torch, mmseg, fcn_plugin; activate the '
             'environment fcn_plugin is installed in, or set PYTHON'),
            ('no-such-python', 'error: PYTHON=no-such-python is not a '
             'command here; activate the environment')]:
        out = subprocess.run(
            ['bash', os.path.join(REPO, 'tools', script), *args], cwd=work,
            env=dict(os.environ, PATH=path, PYTHON=python, GPUS='2',
                     GPUS_PER_NODE='0', CPUS_PER_TASK='1'),
            capture_output=True, text=True, timeout=120)
        assert out.returncode == 1, out.stderr
        assert out.stderr.count('\n') == 1 and out.stderr.startswith(
            message), out.stderr
        assert out.stdout == ''  # srun did not run
    assert os.listdir(work) == []


def test_dist_test_missing_checkpoint_is_one_line(tmp_path, voc_root):
    out = _launch('dist_test.sh', CONFIG, str(tmp_path / 'nope.pth'), '2',
                  '--cfg-options', *data_root_options(voc_root, ('test',)),
                  cwd=tmp_path, port='29542')
    assert out.returncode == 1
    assert out.stderr == f'error: checkpoint not found: {tmp_path}/nope.pth.\n'
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_a_failing_task_ends_the_launch_in_one_line(tmp_path):
    """The folders are there (the launch check passes), a listed image is
    not (each task's dataset stops on it): the tasks' own error lines, then
    one line of the launch's outcome, never torchrun's traceback."""
    root = make_voc_sample(str(tmp_path / 'voc'))
    missing = sorted(os.listdir(os.path.join(root, 'JPEGImages')))[0]
    os.remove(os.path.join(root, 'JPEGImages', missing))
    out = _launch('dist_train.sh', CONFIG, '2', '--work-dir',
                  str(tmp_path / 'work'), '--cfg-options', *TINY_MODEL,
                  *data_root_options(root, ('train', 'val')), *SMALL,
                  cwd=tmp_path, port='29543')
    assert out.returncode == 1
    assert 'Traceback' not in out.stderr, out.stderr
    last = out.stderr.splitlines()[-1]
    outcome = re.fullmatch(
        r'error: [12] task\(s\) of the launch failed: rank \d \(.*\); the '
        r'first, rank (\d), printed its error above', last)
    assert outcome, last
    # the first to fail said why (torchrun stops the other with SIGTERM)
    assert re.search(rf'rank {outcome.group(1)} \(exit code 1\)', last)
    assert re.search(rf'^error: VOCTrainAugDataset: 1 of \d+ image files '
                     rf'listed by \S+ are missing: \S+{missing}', out.stderr,
                     re.MULTILINE), out.stderr


@pytest.mark.slow
def test_sigterm_to_the_launcher_checkpoints_every_task_then_one_line(
        tmp_path, voc_root):
    work = tmp_path / 'work'
    launch = _launch('dist_train.sh', CONFIG, '2', '--work-dir', str(work),
                     '--cfg-options', *TINY_MODEL,
                     *data_root_options(voc_root),
                     *SMALL, 'train_cfg.max_iters=500', cwd=tmp_path,
                     port='29544', stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not any(  # training is under way
            'Iter(train)' in log.read_text() for log in work.glob('*/*.log')):
        time.sleep(0.5)
    launch.send_signal(signal.SIGTERM)  # bash has exec'd the launcher
    stdout, stderr = launch.communicate(timeout=300)
    assert launch.returncode == 128 + signal.SIGTERM, stderr
    assert 'Traceback' not in stderr, stderr
    assert stderr.splitlines()[-1] == (
        'error: SIGTERM: the launch was stopped; its tasks were passed the '
        'signal')
    stopped = re.search(r'SIGTERM: stopped after iteration (\d+), checkpoint '
                        r'(\S+)\. Continue with --resume', stdout + stderr)
    assert stopped, stdout + stderr
    assert os.path.isfile(stopped.group(2))
    assert stopped.group(2).endswith(f'iter_{stopped.group(1)}.pth')
