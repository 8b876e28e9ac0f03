"""Long runs survive anything (slow; run in CI): exact resume after a crash
without loading the skipped samples, after kill -9 during a checkpoint
write, after SIGTERM; the same samples for any num_workers; multi-node
(2 node groups over loopback) with every rank stopping at one iteration."""
import os
import re
from collections import Counter
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import (REPO, TINY_MODEL, config, data_root_options, run_tool,
                      stand_in_slurm, started_at_a_terminal)

from fcn_plugin.weights import load_checkpoint_file

pytestmark = pytest.mark.slow
CONFIG = config('fcn_r101_voc_321_fp32.py')
# 24 images, batch 8: 3 iterations per epoch; 6 iterations = 2 epochs
MAX_ITERS = 6


def _options(root, workers=1, val_interval=100):
    return [
        *TINY_MODEL, *data_root_options(root, ('train', 'val')),
        f'train_cfg.max_iters={MAX_ITERS}',
        f'train_cfg.val_interval={val_interval}',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.checkpoint.max_keep_ckpts=5',
        'train_dataloader.batch_size=8',
        f'train_dataloader.num_workers={workers}',
        f'train_dataloader.persistent_workers={workers > 0}',
        'randomness.seed=0', 'randomness.deterministic=True',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'train_dataloader.dataset.type=LoadLoggingVOCDataset'
    ]


def _test_config(tmp_path, name, hooks=()):
    """The row config + the test-only components (and extra hooks)."""
    path = tmp_path / f'{name}.py'
    path.write_text(
        f'_base_ = {CONFIG!r}\n'
        "custom_imports = dict(imports=['fcn_plugin', "
        "'test_only_components'])\n"
        "custom_hooks = [dict(type='RandomStateHook'), "
        f"dict(type='PreemptionHook'), {', '.join(hooks)}]\n")
    return str(path)


def _env(tmp_path, name, **extra):
    return dict(PYTHONPATH=os.path.join(REPO, 'tests'),
                LOAD_LOG=str(tmp_path / f'{name}.loads'), **extra)


def _train(tmp_path, root, name, cfg, *extra, workers=1, env=None,
           val_interval=100):
    return run_tool('tools/train.py', cfg, '--work-dir',
                    str(tmp_path / 'runs' / name), *extra, '--cfg-options',
                    *_options(root, workers, val_interval), check=False,
                    env=env or _env(tmp_path, name))


def _weights(path):
    return load_checkpoint_file(path)["state_dict"]


def _assert_same_weights(a, b):
    a, b = _weights(a), _weights(b)
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f'{len(different)} tensors differ: {different[:3]}'


def _loads(tmp_path, name):
    return (tmp_path / f'{name}.loads').read_text().splitlines()


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory, voc_root):
    """The reference run, 6 iterations without interruption, no workers."""
    tmp = tmp_path_factory.mktemp('uninterrupted')
    proc = _train(tmp, voc_root, 'full', _test_config(tmp, 'full'),
                  workers=0)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(weights=tmp / f'runs/full/iter_{MAX_ITERS}.pth',
                loads=_loads(tmp, 'full'))


def test_same_samples_and_weights_for_any_num_workers(tmp_path, voc_root,
                                                      uninterrupted):
    proc = _train(tmp_path, voc_root, 'w2', _test_config(tmp_path, 'w2'),
                  workers=2)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(uninterrupted['loads']) == MAX_ITERS * 8
    # the same 48 samples, bit for bit (workers also prefetch beyond the
    # last iteration, and write their lines in any order)
    assert not Counter(uninterrupted['loads']) - Counter(_loads(tmp_path,
                                                               'w2'))
    _assert_same_weights(tmp_path / f'runs/w2/iter_{MAX_ITERS}.pth',
                         uninterrupted['weights'])


@pytest.mark.compat
def test_crash_then_resume_is_exact_and_loads_no_skipped_sample(
        tmp_path, voc_root, uninterrupted):
    crashing = _test_config(tmp_path, 'crash',
                            ["dict(type='CrashAfterIteration', iteration=4)"])
    crash = _train(tmp_path, voc_root, 'run', crashing)
    assert crash.returncode == 137
    assert (tmp_path / 'runs/run/iter_4.pth').exists()
    # resume at iteration 4 = epoch 1, batch 1; count what it loads
    resumed = _train(tmp_path, voc_root, 'run', _test_config(tmp_path, 'r'),
                     '--resume', workers=0, env=_env(tmp_path, 'resumed'))
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-3000:]
    assert 'newest intact checkpoint: ' in log and 'iter_4.pth' in log
    assert 'Resuming at iteration 4: epoch 1, batch 1 of 3, reached ' \
        'without loading a sample' in log
    assert 'Restored Python/NumPy/torch random states' in log
    # one account of where training continues, not three
    assert 'Advance dataloader' not in log and 'resumed epoch' not in log
    # exactly the last 2 batches of the uninterrupted run, same augmentation
    assert _loads(tmp_path, 'resumed') == uninterrupted['loads'][4 * 8:]
    _assert_same_weights(tmp_path / f'runs/run/iter_{MAX_ITERS}.pth',
                         uninterrupted['weights'])


def test_kill_9_during_a_checkpoint_write(tmp_path, voc_root, uninterrupted):
    slow = dict(SLOW_SAVE='iter_4.pth', SLOW_MARKER=str(tmp_path / 'saving'))
    work_dir = tmp_path / 'runs/run'
    proc = subprocess.Popen(
        [sys.executable, 'tools/train.py', _test_config(tmp_path, 'slow'),
         '--work-dir', str(work_dir), '--cfg-options',
         *_options(voc_root),
         'default_hooks.checkpoint.backend_args.backend=slow_atomic_local'],
        cwd=REPO, env=dict(os.environ, **_env(tmp_path, 'run', **slow)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (tmp_path / 'saving').exists():
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)  # half of iter_4.pth is on disk
    proc.wait()
    assert not (work_dir / 'iter_4.pth').exists()
    assert list(work_dir.glob('iter_4.pth.tmp-*'))
    assert (work_dir / 'last_checkpoint').read_text().endswith('iter_2.pth')
    resumed = _train(tmp_path, voc_root, 'run', _test_config(tmp_path, 'r'),
                     '--resume')
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-3000:]
    assert re.search(r'removed \S+iter_4\.pth\.tmp-\d+, left by a save', log)
    assert 'Resuming at iteration 2' in log
    _assert_same_weights(work_dir / f'iter_{MAX_ITERS}.pth',
                         uninterrupted['weights'])


def test_truncated_newest_checkpoint_is_skipped(tmp_path, voc_root):
    work_dir = tmp_path / 'runs/run'
    first = _train(tmp_path, voc_root, 'run', _test_config(
        tmp_path, 'c', ["dict(type='CrashAfterIteration', iteration=4)"]))
    assert first.returncode == 137
    newest = work_dir / 'iter_4.pth'  # e.g. written by plain mmengine
    newest.write_bytes(newest.read_bytes()[:1000])
    resumed = _train(tmp_path, voc_root, 'run', _test_config(tmp_path, 'r'),
                     '--resume', '--cfg-options', 'train_cfg.max_iters=3')
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-3000:]
    assert re.search(r'--resume: skipping \S+iter_4\.pth: incomplete', log)
    assert 'newest intact checkpoint: ' in log and 'iter_2.pth' in log


def test_sigterm_checkpoints_and_resumes_exactly(tmp_path, voc_root,
                                                 uninterrupted):
    term = _test_config(tmp_path, 'term',
                        ["dict(type='SignalDuringIteration', iteration=3)"])
    stopped = _train(tmp_path, voc_root, 'run', term)
    log = stopped.stdout + stopped.stderr
    assert stopped.returncode == 128 + signal.SIGTERM, log[-3000:]
    assert 'Traceback' not in log
    assert re.search(r'SIGTERM: stopped after iteration 3, checkpoint '
                     r'\S+iter_3\.pth\. Continue with --resume\.', log)
    assert not re.search(r'Iter\(train\) \[4/', log)
    resumed = _train(tmp_path, voc_root, 'run', _test_config(tmp_path, 'r'),
                     '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'Resuming at iteration 3' in resumed.stdout + resumed.stderr
    _assert_same_weights(tmp_path / f'runs/run/iter_{MAX_ITERS}.pth',
                         uninterrupted['weights'])


def test_sigterm_in_validation_stops_at_once_and_resumes_exactly(
        tmp_path, voc_root):
    """SIGTERM at the 2nd of 24 images of the validation after iteration 3
    (checkpoints every 2, so iteration 3 has none yet): it stops there, saves
    iteration 3, writes no best checkpoint, and --resume ends with the
    weights of the same run uninterrupted."""
    validating = ['--cfg-options', 'val_dataloader.dataset.ann_file='
                  'ImageSets/Segmentation/trainaug.txt']
    whole = _train(tmp_path, voc_root, 'whole', _test_config(tmp_path, 'w'),
                   *validating, val_interval=3)
    assert whole.returncode == 0, whole.stderr[-3000:]
    assert 'Iter(val) [24/24]' in whole.stdout + whole.stderr
    term = _test_config(tmp_path, 'term', [
        "dict(type='SignalDuringEvaluation', iteration=3, batch=2)"])
    stopped = _train(tmp_path, voc_root, 'run', term, *validating,
                     val_interval=3)
    log = stopped.stdout + stopped.stderr
    assert stopped.returncode == 128 + signal.SIGTERM, log[-3000:]
    assert 'Traceback' not in log
    assert re.search(r'SIGTERM: validation at iteration 3 stopped after 2 of '
                     r'24 batches \(no mIoU, no best checkpoint from it\); '
                     r'checkpoint \S+iter_3\.pth\. Continue with --resume\.',
                     log), log[-3000:]
    assert not re.search(r'Iter\(val\) \[3/24\]|mIoU:|Iter\(train\) \[4/',
                         log)
    run = tmp_path / 'runs/run'
    assert not list(run.glob('best_*'))
    assert load_checkpoint_file(run / 'iter_3.pth')['meta']['iter'] == 3
    resumed = _train(tmp_path, voc_root, 'run', _test_config(tmp_path, 'r'),
                     '--resume', *validating, val_interval=3)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'Resuming at iteration 3' in resumed.stdout + resumed.stderr
    _assert_same_weights(run / f'iter_{MAX_ITERS}.pth',
                         tmp_path / f'runs/whole/iter_{MAX_ITERS}.pth')


def test_sigterm_in_testing_stops_at_the_next_image(tmp_path, voc_root,
                                                    uninterrupted):
    cfg = _test_config(tmp_path, 'test_term', [
        "dict(type='SignalDuringEvaluation', batch=2)"])
    proc = run_tool('tools/test.py', cfg, str(uninterrupted['weights']),
                    '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                    *TINY_MODEL, 'test_dataloader.dataset.data_root='
                    f'{voc_root}', 'test_dataloader.dataset.ann_file='
                    'ImageSets/Segmentation/trainaug.txt', check=False,
                    env=_env(tmp_path, 'test'))
    log = proc.stdout + proc.stderr
    assert proc.returncode == 128 + signal.SIGTERM, log[-3000:]
    assert 'SIGTERM: testing stopped after 2 of 24 batches; no metrics ' \
        'computed.' in log
    assert 'Traceback' not in log and 'mIoU' not in log


@pytest.mark.parametrize('name, ignored', [('SIGTERM', ()), ('SIGHUP', ()),
                                           ('SIGHUP', ('SIGHUP',))])
def test_signal_to_the_process_group_with_workers(tmp_path, voc_root,
                                                  uninterrupted, name,
                                                  ignored):
    """A scheduler (SIGTERM) or a closed terminal (SIGHUP) signals every
    process of the job: the DataLoader workers die or ignore it, the main
    process still checkpoints the iteration it ran. Under ``nohup``
    (started ignoring SIGHUP) a closed terminal changes nothing: the run
    trains to its end."""
    term = _test_config(tmp_path, 'group', [
        "dict(type='SignalDuringIteration', iteration=3, group=True, "
        f"signum={name!r})"])
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', term, '--work-dir',
         str(tmp_path / 'runs/run'), '--cfg-options',
         *_options(voc_root, workers=2)], cwd=REPO,
        env=dict(os.environ, **_env(tmp_path, 'run')), capture_output=True,
        text=True, timeout=600, start_new_session=True,
        preexec_fn=started_at_a_terminal(
            [getattr(signal, s) for s in ignored]))
    log = proc.stdout + proc.stderr
    assert 'Traceback' not in log
    if ignored:
        assert proc.returncode == 0, log[-3000:]
        assert 'stopped after' not in log
        _assert_same_weights(tmp_path / f'runs/run/iter_{MAX_ITERS}.pth',
                             uninterrupted['weights'])
        return
    assert proc.returncode == 128 + getattr(signal, name), log[-3000:]
    assert f'{name}: stopped after iteration 3' in log, log[-3000:]
    resumed = _train(tmp_path, voc_root, 'run', _test_config(tmp_path, 'r'),
                     '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    _assert_same_weights(tmp_path / f'runs/run/iter_{MAX_ITERS}.pth',
                         uninterrupted['weights'])


def test_resume_with_nothing_to_resume(tmp_path, voc_root):
    proc = _train(tmp_path, voc_root, 'empty', _test_config(tmp_path, 'e'),
                  '--resume', '--cfg-options', 'train_cfg.max_iters=1')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'nothing to resume: training starts from iteration 0' in \
        proc.stdout + proc.stderr
    required = _train(tmp_path, voc_root, 'empty2',
                      _test_config(tmp_path, 'e2'), '--resume',
                      '--cfg-options', 'resume_required=True')
    assert required.returncode == 1
    assert 'error: --resume: no intact checkpoint in' in required.stderr


def test_two_node_groups_stop_at_the_same_iteration(tmp_path, voc_root):
    """tools/dist_train.sh with NNODES=2 (one process each, loopback, gloo);
    SIGTERM reaches rank 0 only, and both ranks stop after iteration 2."""
    cfg = _test_config(tmp_path, 'ddp', [
        "dict(type='SignalDuringIteration', iteration=2, rank=0)"])
    nodes = []
    for rank in (0, 1):
        env = dict(os.environ, **_env(tmp_path, f'node{rank}'), NNODES='2',
                   NODE_RANK=str(rank), PORT='29561', PYTHON=sys.executable,
                   OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
        nodes.append(subprocess.Popen(
            ['bash', os.path.join(REPO, 'tools/dist_train.sh'), cfg, '1',
             '--work-dir', str(tmp_path / 'runs/ddp'), '--cfg-options',
             *_options(voc_root, workers=0), 'train_dataloader.batch_size=4'],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True))
    logs = [node.communicate(timeout=600)[0] for node in nodes]
    assert 'distributed True, world size 2' in logs[0], logs[0][-3000:]
    assert all(node.returncode != 0 for node in nodes)  # stopped, not done
    assert re.search(r'SIGTERM: stopped after iteration 2', logs[0]), \
        logs[0][-3000:]
    assert (tmp_path / 'runs/ddp/iter_2.pth').exists()
    assert _weights(tmp_path / 'runs/ddp/iter_2.pth')
    for log in logs:
        assert not re.search(r'Iter\(train\) \[3/', log)


def test_slurm_scripts_call_srun_with_our_tools(tmp_path, voc_root,
                                                tiny_checkpoint):
    """The srun line on a GPU partition, as mmseg's slurm_train.sh makes it
    (no GPU partition here: srun and sinfo are stand-ins that print what
    they get and a node of 40 CPUs and 8 GPUs; tests/test_slurm.py runs the
    scripts on a real cluster's CPU partition). The arguments are real (the
    scripts check them with PYTHON before srun)."""
    # an interpreter of the user's choosing: the test's own, through a
    # stand-in that records how it is run
    fake = stand_in_slurm(tmp_path / 'bin', '40|gpu:8(S:0-1)', **{
        'python3.12': f'echo "$*" >> {tmp_path}/python3.12.log\n'
                      f'exec {sys.executable} "$@"'})
    # `python` is the test's own, as in the user's activated venv
    env = dict(os.environ, GPUS='16', GPUS_PER_NODE='8', PATH=os.pathsep.join(
        [fake, os.path.dirname(sys.executable), os.environ['PATH']]))
    env.pop('PYTHON', None)  # `make test PYTHON=...` exports it
    options = ['--cfg-options', 'model.backbone.init_cfg=None',
               *data_root_options(voc_root), 'randomness.seed=0']
    train = subprocess.run(
        ['bash', 'tools/slurm_train.sh', 'gpu', 'fcn', CONFIG, '--work-dir',
         'wd', *options], cwd=REPO, env=env, capture_output=True, text=True,
        check=True).stdout
    assert '-p gpu --job-name=fcn --ntasks=16 --cpus-per-task=5 ' \
        '--gres=gpu:8 --ntasks-per-node=8 --kill-on-bad-exit=1' in train
    assert f'tools/train.py {CONFIG} --launcher=slurm --resume --work-dir ' \
        f'wd {" ".join(options)}' in train
    test = subprocess.run(
        ['bash', 'tools/slurm_test.sh', 'gpu', 'fcn', CONFIG, tiny_checkpoint,
         *options], cwd=REPO, env=env, capture_output=True, text=True,
        check=True).stdout
    assert f'tools/test.py {CONFIG} {tiny_checkpoint} --launcher=slurm' \
        in test
    assert 'python -u ' in test
    chosen = subprocess.run(
        ['bash', 'tools/slurm_test.sh', 'gpu', 'fcn', CONFIG, tiny_checkpoint,
         *options], cwd=REPO, env=dict(env, PYTHON='python3.12'), capture_output=True,
        text=True, check=True).stdout
    assert 'python3.12 -u ' in chosen
    assert '-m fcn_plugin.tooling.launch_check' in (
        tmp_path / 'python3.12.log').read_text()
