"""The contract's faults, each built for real, in real processes: a worker
killed (as the out-of-memory killer does), Ctrl-C and SIGTERM to a tool's
process group; bad files in an input folder; outputs onto a dataset; a full
disk; stale temporary files; the wrapped mmseg scripts' bad inputs; the
switches that Python's bool() would turn on."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from conftest import (REPO, TINY_MODEL, config, data_root_options,
                      run_tool, started_at_a_terminal)

ROW = config('fcn_r101_voc_321_fp32.py')


@pytest.fixture(scope='module')
def big_voc(tmp_path_factory):
    """Enough large photos that a pool is mid-run when a signal lands."""
    from fcn_plugin.tooling.synthetic_data import make_voc_sample
    return make_voc_sample(str(tmp_path_factory.mktemp('big_voc')),
                           num_train=160, num_val=8,
                           size_range=(900, 1200))


@pytest.fixture(scope='module')
def big_cityscapes(tmp_path_factory):
    from fcn_plugin.tooling.synthetic_data import make_cityscapes_sample
    return make_cityscapes_sample(str(tmp_path_factory.mktemp('big_cs')),
                                  num_train=80, num_val=2, size=(512, 1024))


def _children(pid):
    try:
        with open(f'/proc/{pid}/task/{pid}/children') as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _start(tool, *args):
    return subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'tools', tool), *args],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=started_at_a_terminal(),
        env=dict(os.environ, PYTHONUNBUFFERED='1'))


def _once_working(proc, marker):
    """Wait for ``marker`` on the tool's stdout and for its workers."""
    line, deadline = '', time.monotonic() + 240
    while marker not in line:
        line = proc.stdout.readline()
        assert line or proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
    while len(_children(proc.pid)) < 2:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    return _children(proc.pid)


POOL_RUNS = {
    'check_dataset.py': lambda voc, cs: (
        [ROW, '--data-root', voc, '--splits', 'train', '--workers', '2'],
        'reading'),
    'prepare_cityscapes.py': lambda voc, cs: (
        [cs, '--splits', 'train', '--workers', '2'], 'images to write'),
}


@pytest.mark.slow
@pytest.mark.parametrize('tool', sorted(POOL_RUNS))
@pytest.mark.parametrize('fault', ['worker killed', 'Ctrl-C', 'SIGTERM'])
def test_a_pool_ends_with_one_line_and_no_worker_left(tool, fault, big_voc,
                                                      big_cityscapes):
    import shutil
    args, marker = POOL_RUNS[tool](big_voc, big_cityscapes)
    shutil.rmtree(os.path.join(big_cityscapes, 'half_resolution'),
                  ignore_errors=True)  # every image to do again
    proc = _start(tool, *args)
    workers = _once_working(proc, marker)
    if fault == 'worker killed':
        os.kill(workers[0], signal.SIGKILL)
    else:
        os.killpg(proc.pid, signal.SIGINT if fault == 'Ctrl-C'
                  else signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=120)  # never hangs
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), err
    expected = {'worker killed': (1, 'a worker process reading the train '
                                  'images was killed'),
                'Ctrl-C': (130, 'interrupted (Ctrl-C)'),
                'SIGTERM': (143, 'SIGTERM: stopped at once')}[fault]
    assert proc.returncode == expected[0], err
    assert expected[1] in lines[0], lines[0]
    if fault == 'worker killed':
        assert 'fewer --workers (this run: 2) or more memory' in lines[0]
    assert 'OK: the dataset is ready' not in out
    deadline = time.monotonic() + 10
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_alive(proc.pid)  # no worker left behind


def test_pools_are_capped_at_the_work_and_the_cores(voc_root):
    out = run_tool('tools/check_dataset.py', ROW, '--data-root', voc_root,
                   '--workers', '1000')
    cores = len(os.sched_getaffinity(0))
    assert f'reading 24 images and labels from' in out.stdout
    assert f'({min(cores, 24)} processes)' in out.stdout, out.stdout


def _photos(folder, voc_root):
    folder.mkdir(parents=True)
    names = sorted(os.listdir(os.path.join(voc_root, 'JPEGImages')))[:3]
    for name in names:
        (folder / name).write_bytes(
            open(os.path.join(voc_root, 'JPEGImages', name), 'rb').read())
    return names


def _infer(images, out, checkpoint, *extra, check=True, env=None):
    return run_tool('tools/infer.py', config('fcn_r101_voc_321.py'),
                    checkpoint, str(images), '--out', str(out), *extra,
                    '--cfg-options', *TINY_MODEL, check=check, env=env)


def test_bad_files_in_the_input_folder_cost_only_themselves(
        tmp_path, voc_root, tiny_checkpoint):
    photos = tmp_path / 'photos'
    names = _photos(photos, voc_root)
    (photos / 'a_empty.jpg').write_bytes(b'')
    (photos / 'b_fake.png').write_text('not a png')
    from PIL import Image  # 20000x20000, a few hundred KB: 1.2 GB decoded
    Image.new('L', (20000, 20000)).save(photos / 'c_bomb.png')
    assert (photos / 'c_bomb.png').stat().st_size < 2_000_000
    proc = _infer(photos, tmp_path / 'out', tiny_checkpoint, check=False)
    assert proc.returncode == 1
    assert f'wrote {len(names)} overlay(s)' in proc.stdout
    assert sorted(os.listdir(tmp_path / 'out' / 'pred')) == sorted(
        f'{n}.png' for n in names)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: 3 of 6 input(s) '
                                                   'are no images'), lines
    assert 'a_empty.jpg (an empty file (0 bytes))' in lines[0]
    assert 'b_fake.png (cannot be decoded as an image' in lines[0]
    assert 'c_bomb.png (20000x20000 pixels, beyond the 50,000,000' in lines[0]
    assert '[ WARN' not in proc.stderr and '[ERROR' not in proc.stderr


def test_infer_onto_its_own_photos_and_stale_temporaries(
        tmp_path, voc_root, tiny_checkpoint):
    photos = tmp_path / 'photos'
    _photos(photos / 'vis', voc_root)  # visible-light images in vis/
    before = {p: p.read_bytes() for p in photos.rglob('*') if p.is_file()}
    proc = _infer(photos / 'vis', photos, tiny_checkpoint, check=False)
    assert proc.returncode == 1
    assert f'--out {photos} holds the input images {photos / "vis"}' in \
        proc.stderr, proc.stderr
    assert {p: p.read_bytes() for p in photos.rglob('*') if p.is_file()} \
        == before
    # a temporary file of a writer that died (kill -9): cleared by a rerun
    out = tmp_path / 'out'
    (out / 'vis').mkdir(parents=True)
    stale = out / 'vis' / f'{sorted(os.listdir(photos / "vis"))[0]}.tmp-999999'
    stale.write_bytes(b'half an image')
    _infer(photos / 'vis', out, tiny_checkpoint, '--skip-existing')
    assert not stale.exists()
    assert not [p for p in out.rglob('*') if '.tmp-' in p.name]


def test_a_full_disk_leaves_no_temporary_file(tmp_path, voc_root,
                                              tiny_checkpoint):
    if os.geteuid() != 0:
        pytest.skip('mounting a small tmpfs needs root')
    disk = tmp_path / 'disk'
    disk.mkdir()
    mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=256k',
                              'tmpfs', str(disk)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f'cannot mount a tmpfs: {mounted.stderr.decode()}')
    try:
        (disk / 'filler').write_bytes(b'x' * (256 - 40) * 1024)  # 40 KB left
        photos = tmp_path / 'photos'
        _photos(photos, voc_root)
        proc = _infer(photos, disk / 'out', tiny_checkpoint, check=False)
        assert proc.returncode == 1
        line, = proc.stderr.strip().splitlines()
        assert line.startswith('error: No space left on device'), line
        assert not [p for p in disk.rglob('*') if '.tmp-' in p.name]
        for picture in (disk / 'out').rglob('*.jpg'):  # complete or absent
            assert cv2.imread(str(picture)) is not None
    finally:
        subprocess.run(['umount', str(disk)], check=True)


def test_outputs_onto_a_dataset_are_refused(tmp_path, voc_root,
                                            tiny_checkpoint):
    import shutil
    voc_root = shutil.copytree(voc_root, tmp_path / 'VOC2012')  # at stake
    images = os.path.join(voc_root, 'JPEGImages')
    labels = os.path.join(voc_root, 'SegmentationClassAug')
    before = {p: open(os.path.join(d, p), 'rb').read()
              for d in (images, labels) for p in os.listdir(d)}
    roots = data_root_options(voc_root)
    for tool, args in (
            ('tools/analysis/browse_dataset.py',
             [ROW, '--not-show', '--output-dir', images]),
            ('tools/test.py', [ROW, tiny_checkpoint, '--out', labels,
                               '--work-dir', str(tmp_path / 'wd')])):
        proc = run_tool(tool, *args, '--cfg-options', *TINY_MODEL, *roots,
                        check=False)
        assert proc.returncode == 1, proc.stderr[-2000:]
        line, = proc.stderr.strip().splitlines()
        assert 'dataset folder of' in line and 'replace' in line, line
    after = {p: open(os.path.join(d, p), 'rb').read()
             for d in (images, labels) for p in os.listdir(d)}
    assert after == before


def test_browse_without_a_display_says_so(tmp_path, voc_root):
    env = {k: v for k, v in os.environ.items()
           if k not in ('DISPLAY', 'WAYLAND_DISPLAY')}
    for args, message in (([], 'no display here'),
                          (['--not-show'], '--not-show without --output-dir')):
        proc = subprocess.run(
            [sys.executable, 'tools/analysis/browse_dataset.py', ROW, *args,
             '--cfg-options', *data_root_options(voc_root, ('train',))],
            cwd=REPO, env=env, capture_output=True, text=True)
        assert proc.returncode == 1 and message in proc.stderr, proc.stderr
        assert proc.stderr.count('\n') == 1


def test_wrapped_mmseg_scripts_bad_input(tmp_path, tiny_checkpoint, voc_root):
    work = os.path.dirname(tiny_checkpoint)
    text_log, = [os.path.join(work, d, f'{d}.log') for d in os.listdir(work)
                 if os.path.isfile(os.path.join(work, d, f'{d}.log'))]
    empty = tmp_path / 'empty.json'
    empty.write_text('')
    for args, message in (
            ([text_log], "is not a JSON record: this takes mmengine's JSON "
             'log'),
            ([str(empty)], 'has no records yet'),
    ):
        proc = run_tool('tools/analysis/analyze_logs.py', *args, '--out',
                        str(tmp_path / 'plot.png'), check=False)
        assert proc.returncode == 1 and message in proc.stderr, proc.stderr
        assert proc.stderr.count('\n') == 1
    (tmp_path / 'preds').mkdir()
    proc = run_tool('tools/analysis/confusion_matrix.py', ROW,
                    str(tmp_path / 'preds'), str(tmp_path / 'cm'),
                    '--cfg-options', *data_root_options(voc_root, ('test',)),
                    check=False)
    assert proc.returncode == 1, proc.stderr
    assert 'holds 0 file(s), but the test split' in proc.stderr
    assert proc.stderr.count('\n') == 1
    assert not (tmp_path / 'cm').exists()


@pytest.mark.slow
@pytest.mark.parametrize('value, on', [('no', False), ('off', False),
                                       ('True', True), ('yes', True)])
def test_a_switch_is_read_as_a_switch(tmp_path, voc_root, value, on):
    proc = run_tool(
        'tools/train.py', ROW, '--work-dir', str(tmp_path / 'wd'),
        '--cfg-options', *TINY_MODEL,
        *data_root_options(voc_root, ('train', 'val')),
        f'tensorboard={value}', 'train_cfg.max_iters=1',
        'train_cfg.val_begin=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False')
    assert 'changes nothing' not in proc.stderr, proc.stderr
    events = list((tmp_path / 'wd').rglob('events.out.tfevents.*'))
    assert bool(events) is on, events


def test_a_switch_that_is_no_switch_is_one_line(tmp_path):
    proc = run_tool('tools/train.py', ROW, '--work-dir', str(tmp_path / 'wd'),
                    '--cfg-options', 'tensorboard=maybe', check=False)
    assert proc.returncode == 1
    line, = proc.stderr.strip().splitlines()
    assert "--cfg-options tensorboard='maybe': expected True or False" in line


@pytest.mark.slow
def test_real_size_root_relative_or_a_file(tmp_path):
    (tmp_path / 'a_file').write_text('mine')
    proc = run_tool(os.path.join(REPO, 'benchmarks/real_size.py'), '--root',
                    'a_file',
                    check=False, cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr.count('\n') == 1
    assert '--root' in proc.stderr and 'is a file' in proc.stderr
    assert (tmp_path / 'a_file').read_text() == 'mine'
    proc = run_tool(os.path.join(REPO, 'benchmarks/real_size.py'), '--root',
                    'rs1', '--datasets', 'voc', '--stages', 'check',
                    '--scale', '0.0001', cwd=tmp_path, timeout=600)
    assert 'check_dataset.py --workers 1' in proc.stdout, proc.stdout
    assert (tmp_path / 'rs1' / 'voc').is_dir()
