"""Faults a hostile or careless user meets: nothing written is lost, nothing
silently wrong is scored or saved, and every fault ends in one line."""
import errno
import os
import shutil
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
import torch
from conftest import REPO, TINY_MODEL, config, data_root_options, run_tool
from PIL import Image

from fcn_plugin.errors import UserInputError, describe_error
from fcn_plugin.weights import load_checkpoint_file

ROW = config('fcn_r101_voc_321_fp32.py')
FAST = ['train_cfg.max_iters=1', 'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False']


def one_error_line(proc, *fragments):
    """The process failed with exactly one ``error:`` line holding
    ``fragments``, exit code 1 and no traceback; returns the line."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-3000:])
    errors = [line for line in proc.stderr.splitlines()
              if line.startswith('error: ')]
    assert len(errors) == 1, proc.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert 'Traceback' not in proc.stderr
    return errors[0]


def _train(tmp_path, root, *options, work='wd', extra=()):
    return run_tool('tools/train.py', ROW, '--work-dir', str(tmp_path / work),
                    *extra, '--cfg-options', *TINY_MODEL,
                    *data_root_options(root, ('train', 'val')), *FAST,
                    *options, check=False)


@pytest.fixture
def voc_copy(tmp_path, voc_root):
    root = tmp_path / 'VOC2012'
    shutil.copytree(voc_root, root)
    return root


# -- the error classifier -------------------------------------------------

@pytest.mark.parametrize('exc,fragments', [
    (OSError(errno.ENOSPC, 'No space left on device', '/w/iter_9.pth'),
     ['/w/iter_9.pth', 'free disk space']),
    (PermissionError(errno.EACCES, 'Permission denied', '/d/a.jpg'),
     ['/d/a.jpg', 'permissions']),
    (OSError(errno.EROFS, 'Read-only file system', '/ro/wd'),
     ['/ro/wd', 'read-only']),
    (NotADirectoryError(errno.ENOTDIR, 'Not a directory', '/x/file'),
     ['/x/file', 'folder']),
    (OSError(errno.ELOOP, 'Too many levels of symbolic links', '/d/loop'),
     ['/d/loop', 'loop']),
    (SyntaxError('There are syntax errors in config file /c.py: bad'),
     ['/c.py']),
    (MemoryError(), ['out of memory']),
    (RuntimeError('DataLoader worker (pid 77) is killed by signal: Killed.'),
     ['worker', 'num_workers']),
    (ValueError('Error initializing torch.distributed using env:// '
                'rendezvous: environment variable RANK expected, but not '
                'set'), ['torchrun', 'dist_train.sh']),
    (RuntimeError('The server socket has failed to listen on any local '
                  'network address. port: 29500, address already in use'),
     ['PORT=']),
    (ValueError("loaded state dict contains a parameter group that doesn't "
                "match the size of optimizer's group"), ['load_from=']),
    (RuntimeError('Caught UserInputError in DataLoader worker process 0.\n'
                  'Traceback ...\nfcn_plugin.errors.UserInputError: label '
                  'x.png is bad'), ['label x.png is bad']),
])
def test_classifier_names_the_thing_and_the_fix(exc, fragments):
    line = describe_error(exc)
    assert line and '\n' not in line
    for fragment in fragments:
        assert fragment in line, line


def test_classifier_leaves_bugs_alone():
    assert describe_error(ZeroDivisionError('division by zero')) is None
    assert describe_error(AttributeError("'X' has no attribute 'y'")) is None


# -- data loss ------------------------------------------------------------

def test_previous_best_outside_the_run_is_never_removed(tmp_path):
    """A branched copy restores the ORIGINAL run's best path from the
    message hub; the hook keeps it and removes only its own files."""
    from mmengine.fileio import get_file_backend
    from mmengine.logging import MMLogger

    from fcn_plugin.engine import AtomicCheckpointHook
    original, copy = tmp_path / 'original', tmp_path / 'copy'
    original.mkdir()
    copy.mkdir()
    (original / 'best_mIoU_iter_2.pth').write_bytes(b'original best')
    (copy / 'best_mIoU_iter_2.pth').write_bytes(b'copied best')
    hook = AtomicCheckpointHook(interval=1)
    hook.out_dir = str(copy)
    hook.file_backend = get_file_backend(str(copy))

    class Runner:
        logger = MMLogger.get_instance('reliability')
    assert not hook._remove(Runner, str(original / 'best_mIoU_iter_2.pth'))
    assert (original / 'best_mIoU_iter_2.pth').read_bytes() == \
        b'original best'
    assert hook._remove(Runner, str(copy / 'best_mIoU_iter_2.pth'))
    assert not (copy / 'best_mIoU_iter_2.pth').exists()


def _tree_bytes(folder):
    """Every path under ``folder`` with its bytes (None for a folder)."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob('*'))}


@pytest.mark.slow
def test_second_training_in_a_work_dir_is_refused(tmp_path, voc_root):
    """The holder is named; the refused run changes no byte in the work
    dir (the running run's config dump, logs); a killed holder leaves no
    stuck lock."""
    work = tmp_path / 'wd'
    work.mkdir()
    (work / os.path.basename(ROW)).write_text('# the running run\'s dump\n')
    (work / '20261205_120000').mkdir()
    (work / '20261205_120000' / 'log.log').write_bytes(b'running\n')
    holder = subprocess.Popen(
        [sys.executable, '-c',
         'import sys, time\nfrom fcn_plugin.engine.work_dir_lock import '
         'lock_work_dir\nlock = lock_work_dir(sys.argv[1])\nprint("locked", '
         'flush=True)\ntime.sleep(600)', str(work)],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        before = _tree_bytes(work)
        proc = _train(tmp_path, voc_root)
        one_error_line(proc, 'is in use by another training',
                       f'pid {holder.pid}', '--work-dir')
        assert _tree_bytes(work) == before
    finally:
        holder.kill()  # as kill -9: the kernel releases the lock
        holder.wait()
    from fcn_plugin.engine.work_dir_lock import lock_work_dir
    lock_work_dir(str(work)).close()


# -- silently wrong results -----------------------------------------------

def test_non_finite_weights_are_refused(tmp_path):
    for value in (float('nan'), float('inf')):
        path = tmp_path / 'bad.pth'
        torch.save({'meta': {}, 'state_dict': {
            'a.weight': torch.ones(3), 'b.weight': torch.tensor([1., value]),
            'b.num_batches_tracked': torch.tensor(3)}}, path)
        with pytest.raises(UserInputError, match=r'NaN or Inf \(b.weight\)'):
            load_checkpoint_file(str(path))
    torch.save({'state_dict': {'a': torch.ones(1), 'b': 'text'}}, path)
    with pytest.raises(UserInputError, match='not tensors'):
        load_checkpoint_file(str(path))


def test_onnx_parity_fails_on_nan():
    from fcn_plugin.deploy.onnx_export import compare

    class Session:
        def __init__(self, value):
            self.value = value

        def run(self, names, feeds):
            return [np.full((1, 2, 4, 4), self.value, np.float32)]
    module = torch.nn.Conv2d(3, 2, 1)
    x = torch.zeros(1, 3, 4, 4)
    worst, _ = compare(Session(float('nan')), module, [x])
    assert not worst <= 1e-4
    torch.nn.init.constant_(module.weight, float('nan'))
    worst, _ = compare(Session(0.0), module, [x])
    assert not worst <= 1e-4


@pytest.mark.slow
def test_nan_checkpoint_and_diverging_training(tmp_path, voc_root,
                                              tiny_checkpoint):
    state = load_checkpoint_file(tiny_checkpoint)
    state['state_dict'] = {k: v.float().fill_(float('nan'))
                           if v.is_floating_point() else v
                           for k, v in state['state_dict'].items()}
    nan = tmp_path / 'nan.pth'
    torch.save(state, nan)
    proc = run_tool('tools/test.py', ROW, str(nan), '--work-dir',
                    str(tmp_path / 't'), '--cfg-options', *TINY_MODEL,
                    *data_root_options(voc_root, ('test', )), check=False)
    one_error_line(proc, 'NaN or Inf', str(nan))
    assert 'Iter(test)' not in proc.stdout + proc.stderr  # not scored
    # a learning rate that diverges: stopped at the iteration, nothing saved
    proc = _train(tmp_path, voc_root, 'optim_wrapper.optimizer.lr=1e12',
                  'train_cfg.max_iters=8', 'default_hooks.checkpoint.interval=1',
                  work='diverge')
    line = one_error_line(proc, 'training diverged', 'at iteration')
    stopped = int(line.split('at iteration ')[1].split(';')[0])
    saved = sorted((tmp_path / 'diverge').glob('iter_*.pth'))
    assert len(saved) == stopped - 1
    for path in saved:
        load_checkpoint_file(str(path))  # finite, or this raises


def _write_label(path, kind, shape):
    h, w = shape
    if kind == '16-bit':
        cv2.imwrite(str(path), np.full((h, w), 259, np.uint16))
    elif kind == 'RGB':
        cv2.imwrite(str(path), np.ones((h, w, 3), np.uint8))
    else:  # gray + alpha
        Image.fromarray(np.ones((h, w, 2), np.uint8), 'LA').save(path)


@pytest.mark.slow
def test_labels_that_are_not_class_maps(tmp_path, voc_copy):
    labels = sorted((voc_copy / 'SegmentationClassAug').glob('*.png'))
    for kind, label in zip(('16-bit', 'RGB', 'gray+alpha'), labels):
        shape = cv2.imread(str(label), cv2.IMREAD_UNCHANGED).shape[:2]
        _write_label(label, kind, shape)
    check = run_tool('tools/check_dataset.py', ROW, '--cfg-options',
                     *data_root_options(voc_copy, ('train', 'val')),
                     check=False)
    assert check.returncode == 1
    for label in labels[:3]:
        assert f'label {label} is a' in check.stdout, check.stdout[-2000:]
    assert '3 problem(s)' in check.stdout
    one_error_line(_train(tmp_path, voc_copy, 'train_dataloader.batch_size=24'),
                   'single-channel 8-bit')


@pytest.mark.slow
def test_empty_split_and_split_file_faults(tmp_path, voc_copy):
    split = voc_copy / 'ImageSets/Segmentation/val.txt'
    ids = split.read_text().split()
    split.write_text('')
    check = run_tool('tools/check_dataset.py', ROW, '--splits', 'val',
                     '--cfg-options',
                     *data_root_options(voc_copy, ('val', )), check=False)
    assert check.returncode == 1 and 'no samples' in check.stdout
    # blank lines name no image; non-UTF-8 bytes name the file
    split.write_text('\n'.join(ids[:3]) + '\n\n\n')
    check = run_tool('tools/check_dataset.py', ROW, '--splits', 'val',
                     '--cfg-options',
                     *data_root_options(voc_copy, ('val', )), check=False)
    assert check.returncode == 0 and '3 images, 3 labels of 3' in \
        check.stdout, check.stdout[-2000:]
    split.write_bytes(b'2007_000000\n\xff\xfe\n')
    check = run_tool('tools/check_dataset.py', ROW, '--splits', 'val',
                     '--cfg-options',
                     *data_root_options(voc_copy, ('val', )), check=False)
    one_error_line(check, str(split), 'UTF-8')


@pytest.mark.slow
def test_stale_half_resolution_copy(tmp_path, cityscapes_root):
    root = tmp_path / 'cityscapes'
    shutil.copytree(cityscapes_root, root)
    run_tool('tools/prepare_cityscapes.py', str(root), '--workers', '1')
    cfg = config('fcn_r101_cityscapes_256x512.py')
    options = ['--cfg-options',
               *data_root_options(root, ('train', 'val'))]
    ok = run_tool('tools/check_dataset.py', cfg, *options, check=False)
    assert ok.returncode == 0, ok.stdout[-2000:]
    image = sorted((root / 'leftImg8bit/train').rglob('*.png'))[0]
    time.sleep(0.01)
    os.utime(image)  # an original changed after the copy was made
    stale = run_tool('tools/check_dataset.py', cfg, *options, check=False)
    assert stale.returncode == 1 and 'is stale' in stale.stdout
    train = run_tool('tools/train.py', cfg, '--work-dir', str(tmp_path / 'w'),
                     *options, *TINY_MODEL, *FAST, check=False)
    one_error_line(train, 'is stale', 'prepare_cityscapes.py')
    again = run_tool('tools/prepare_cityscapes.py', str(root), '--workers',
                     '1')
    assert 'redoing' in again.stdout
    ok = run_tool('tools/check_dataset.py', cfg, *options, check=False)
    assert ok.returncode == 0


@pytest.mark.slow
def test_resume_beyond_max_iters_says_so(tmp_path, voc_root):
    run = _train(tmp_path, voc_root, 'train_cfg.max_iters=2')
    assert run.returncode == 0, run.stderr[-2000:]
    proc = _train(tmp_path, voc_root, 'train_cfg.max_iters=1',
                  extra=('--resume', ))
    one_error_line(proc, 'iteration 2', 'train_cfg.max_iters is 1',
                   'nothing to train')


# -- the one-line promise, through the tools ------------------------------

@pytest.mark.slow
def test_tool_faults_end_in_one_line(tmp_path, voc_root, tiny_checkpoint):
    bad_config = tmp_path / 'broken.py'
    bad_config.write_text("_base_ = ['x.py'\nmodel = dict(\n")
    a_file = tmp_path / 'a_file'
    a_file.write_text('x')
    not_onnx = tmp_path / 'model.onnx'
    not_onnx.write_text('not onnx')
    cases = [
        (['tools/train.py', ROW, '--cfg-options', 'train_cfg.max_iters'],
         ['train_cfg.max_iters', 'KEY=VALUE']),
        (['tools/train.py', ROW, '--cfg-options',
          'train_dataloader.dataset.data_root=/my data/voc'],
         ['spaces']),
        (['tools/train.py', ROW, '--cfg-options', 'model.backbone.init_cfg=None',
          'model.backbone.init_cfg.checkpoint=x.pth'], ['init_cfg']),
        (['tools/train.py', str(bad_config)], ['syntax', 'broken.py']),
        (['tools/train.py', ROW, '--work-dir', str(a_file), '--cfg-options',
          *TINY_MODEL, *data_root_options(voc_root, ('train', 'val')), *FAST],
         [str(a_file)]),
        (['tools/train.py', ROW, '--launcher', 'pytorch'], ['torchrun']),
        (['tools/analysis/get_flops.py', ROW, '--shape', '0', '64'],
         ['argument --shape: 0 is out of range: at least 8']),
        (['tools/deployment/quantize_int8.py', ROW, str(not_onnx),
          str(tmp_path / 'q.onnx')], [str(not_onnx), 'ONNX']),
        (['tools/test.py', ROW, 'http://127.0.0.1:9/fcn.pth', '--work-dir',
          str(tmp_path / 't'), '--cfg-options', *TINY_MODEL,
          *data_root_options(voc_root, ('test', ))],
         ['http://127.0.0.1:9/fcn.pth', 'cannot download']),
    ]
    for argv, fragments in cases:
        one_error_line(run_tool(*argv, check=False), *fragments)


def test_second_ctrl_c_is_not_called_a_syntax_error(monkeypatch, capsys):
    """A Ctrl-C inside mmengine's config formatting (where a training run
    spends its first seconds) comes out as mmengine's SyntaxError holding the
    whole config; the tools say it was an interruption, exit 130."""
    import mmengine.config.config as mmengine_config
    from mmengine.config import Config

    from fcn_plugin.tooling.cli import user_errors

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    # mmengine 0.10.7 imports yapf's FormatCode with its config module, the
    # onedl fork when it formats: the Ctrl-C lands in yapf for both
    from yapf.yapflib import yapf_api
    monkeypatch.setattr(yapf_api, 'FormatCode', ctrl_c)
    monkeypatch.setattr(mmengine_config, 'FormatCode', ctrl_c, raising=False)
    cfg = Config.fromfile(ROW)
    with pytest.raises(SyntaxError, match='check the syntax'):
        cfg.pretty_text  # noqa: B018 - what a Ctrl-C there turns into
    for interruption in (lambda: cfg.pretty_text, ctrl_c):
        with pytest.raises(SystemExit) as stop, user_errors():
            interruption()
        assert stop.value.code == 130
        err = capsys.readouterr().err
        assert err.startswith('error: interrupted (Ctrl-C)'), err
        assert len(err.splitlines()) == 1 and 'syntax' not in err


def _without_root_file_access(unreadable):
    """Command prefix that runs a process as this user but without the
    capabilities that let root read any file (CI runs as root); ``None``
    where no such tool works here (``unreadable``: a mode-0 file)."""
    prefix = ['setpriv', '--bounding-set=-dac_override,-dac_read_search',
              '--inh-caps=-dac_override,-dac_read_search']
    if os.geteuid() != 0:
        return []
    if shutil.which('setpriv') is None:
        return None
    probe = subprocess.run([*prefix, 'test', '-r', str(unreadable)])
    return prefix if probe.returncode == 1 else None


@pytest.mark.slow
def test_permission_denied_image(tmp_path, voc_copy):
    image = sorted((voc_copy / 'JPEGImages').glob('*.jpg'))[0]
    image.chmod(0)
    prefix = _without_root_file_access(image)
    if prefix is None:
        pytest.skip('cannot drop root file access here (no setpriv)')
    proc = subprocess.run(
        [*prefix, sys.executable, 'tools/train.py', ROW, '--work-dir',
         str(tmp_path / 'wd'), '--cfg-options', *TINY_MODEL,
         *data_root_options(voc_copy, ('train', 'val')), *FAST,
         'train_dataloader.batch_size=24'], cwd=REPO, capture_output=True,
        text=True, timeout=300)
    one_error_line(proc, str(image), 'permissions')


def test_foreign_optimizer_state_by_shape():
    import torch
    from mmengine.optim import OptimWrapper

    from fcn_plugin.engine.optimizer_state_check import \
        foreign_optimizer_state
    model = torch.nn.Sequential(torch.nn.Linear(3, 4))
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1,
                                           momentum=0.9))
    model(torch.randn(2, 3)).sum().backward()
    wrapper.step()
    assert foreign_optimizer_state(wrapper, model) is None  # its own state
    state = wrapper.optimizer.state[model[0].weight]
    state['row_statistics'] = torch.ones(4, 1)  # factored: broadcasts
    assert foreign_optimizer_state(wrapper, model) is None
    state['momentum_buffer'] = torch.zeros(8, 3)  # another model's width
    assert foreign_optimizer_state(wrapper, model) == (
        '0.weight', 'momentum_buffer', (8, 3), (4, 3))


def test_a_finished_distributed_run_ends_its_process_group(tmp_path,
                                                           monkeypatch):
    """tools/train.py destroys the process group when mmseg's tool returns
    (left to interpreter shutdown, gloo can abort a finished run)."""
    import torch.distributed as dist

    from fcn_plugin.tooling import cli
    tool = tmp_path / 'train.py'
    tool.write_text(
        'import torch, torch.distributed as dist\n'
        f"dist.init_process_group('gloo', init_method='file://{tmp_path}/pg',"
        ' rank=0, world_size=1)\n'
        'x = torch.ones(3)\n'
        'dist.all_reduce(x)\n'
        'assert dist.is_initialized() and x.tolist() == [1.0] * 3\n')
    monkeypatch.setattr(cli, 'mmseg_tool_path', lambda relative: str(tool))
    monkeypatch.setattr(sys, 'argv', list(sys.argv))
    assert cli.run_mmseg_tool('train.py', [ROW], takes_config=False) == 0
    assert not dist.is_initialized()
