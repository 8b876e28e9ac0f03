"""Data helpers: check_dataset.py, prepare_voc_aug.py, infer.py."""
import os
import re
import shutil

import cv2
import numpy as np
import pytest
from conftest import TINY_MODEL, config, run_tool
from PIL import Image


def test_check_dataset_reports_counts(voc_root, cityscapes_root):
    proc = run_tool('tools/check_dataset.py', config('fcn_r101_voc_321.py'),
                    '--data-root', voc_root)
    assert 'train: 24 images, 24 labels' in proc.stdout
    assert 'val: 6 images, 6 labels' in proc.stdout
    assert 'OK: the dataset is ready.' in proc.stdout
    proc = run_tool('tools/check_dataset.py',
                    config('fcn_r101_cityscapes_256x512.py'), '--data-root',
                    cityscapes_root)
    assert 'train: 4 images' in proc.stdout and 'val: 2 images' in proc.stdout
    present = re.findall(r'classes present: (\d+) of 19', proc.stdout)
    assert len(present) == 2 and all(0 < int(n) <= 8 for n in present)


def test_check_dataset_lists_every_problem(tmp_path, voc_root):
    root = tmp_path / 'VOC2012'
    shutil.copytree(voc_root, root)
    seg = root / 'SegmentationClassAug'
    cv2.imwrite(str(seg / '2007_000001.png'), np.full((5, 5), 30, np.uint8))
    label = cv2.imread(str(seg / '2007_000002.png'), cv2.IMREAD_UNCHANGED)
    label[0, 0] = 77
    cv2.imwrite(str(seg / '2007_000002.png'), label)
    (root / 'JPEGImages/2007_000003.jpg').write_bytes(b'\xff\xd8garbage')
    # 1 image and 3 labels missing, in the train split; 1 label in val
    (root / 'JPEGImages/2007_000004.jpg').unlink()
    for i in (5, 6, 7, 26):
        (seg / f'2007_{i:06d}.png').unlink()
    proc = run_tool('tools/check_dataset.py', config('fcn_r101_voc_321.py'),
                    '--data-root', str(root), check=False)
    out = proc.stdout
    assert proc.returncode == 1
    assert 'train: 23 images, 21 labels of 24 listed' in out
    assert 'train' in out and '7 problem(s):' in out
    assert '2007_000001.png is 5x5 but its image' in out
    assert '2007_000002.png holds values [77]' in out
    assert 'cannot read image' in out and '2007_000003.jpg' in out
    assert 'missing image' in out and '2007_000004.jpg' in out
    for i in (5, 6, 7):
        assert f'missing label {seg}/2007_{i:06d}.png' in out
    assert 'val: 6 images, 5 labels of 6 listed' in out
    assert 'FAILED: 8 problem(s)' in out  # every problem of every split
    assert '--cfg-options' not in proc.stderr


def test_check_dataset_options_and_nested_root(tmp_path, voc_root):
    devkit = tmp_path / 'VOCdevkit'
    devkit.mkdir()
    shutil.copytree(voc_root, devkit / 'VOC2012')
    proc = run_tool('tools/check_dataset.py', config('fcn_r101_voc_321.py'),
                    '--splits', 'val', '--cfg-options',
                    f'val_dataloader.dataset.data_root={devkit}', check=False)
    assert proc.returncode == 1
    # the hint names keys that work (not the top-level data_root)
    assert f'It is in {devkit}/VOC2012' in proc.stdout
    assert f'val_dataloader.dataset.data_root={devkit}/VOC2012' in proc.stdout
    # ... and the no-op key gets train.py's warning here too
    noop = run_tool('tools/check_dataset.py', config('fcn_r101_voc_321.py'),
                    '--splits', 'val', '--cfg-options',
                    f'data_root={devkit}/VOC2012', check=False)
    assert 'warning: --cfg-options data_root' in noop.stderr
    assert 'val_dataloader.dataset.data_root' in noop.stderr
    assert 'prepare_voc_aug' not in proc.stdout  # not the advice here
    ok = run_tool('tools/check_dataset.py', config('fcn_r101_voc_321.py'),
                  '--splits', 'val', '--cfg-options',
                  f'val_dataloader.dataset.data_root={devkit}/VOC2012')
    assert 'val: 6 images, 6 labels' in ok.stdout and 'OK' in ok.stdout


@pytest.fixture
def voc_and_sbd(tmp_path):
    """VOC2012 (train 3 ids, val 2) + SBD (train/val 4 ids) in real layouts."""
    from scipy.io import savemat
    voc = tmp_path / 'VOCdevkit/VOC2012'
    sets = voc / 'ImageSets/Segmentation'
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        (voc / sub).mkdir(parents=True)
    voc_train, voc_val = ['a1', 'a2', 'a3'], ['v1', 'v2']
    sbd_train, sbd_val = ['a1', 's1', 's2'], ['v1', 's3']
    (sets / 'train.txt').write_text('\n'.join(voc_train) + '\n')
    (sets / 'val.txt').write_text('\n'.join(voc_val) + '\n')
    palette = [0, 0, 0, 128, 0, 0] + [0] * 762
    for i, name in enumerate(voc_train + voc_val + ['s1', 's2', 's3']):
        cv2.imwrite(str(voc / 'JPEGImages' / f'{name}.jpg'),
                    np.full((8, 10, 3), i, np.uint8))
    for name in voc_train + voc_val:
        img = Image.fromarray(np.eye(8, 10, dtype=np.uint8), mode='P')
        img.putpalette(palette)
        img.save(voc / 'SegmentationClass' / f'{name}.png')
    sbd = tmp_path / 'benchmark_RELEASE/dataset'
    (sbd / 'cls').mkdir(parents=True)
    (sbd / 'train.txt').write_text('\n'.join(sbd_train) + '\n')
    (sbd / 'val.txt').write_text('\n'.join(sbd_val) + '\n')
    for name in sbd_train + sbd_val:
        seg = np.full((8, 10), 5, np.uint8)
        savemat(sbd / 'cls' / f'{name}.mat',
                {'GTcls': {'Segmentation': seg, 'Boundaries': [],
                           'CategoriesPresent': [5]}})
    return tmp_path / 'VOCdevkit', tmp_path / 'benchmark_RELEASE', voc


def test_prepare_voc_aug_builds_trainaug(voc_and_sbd):
    devkit, sbd, voc = voc_and_sbd
    wrong = run_tool('tools/prepare_voc_aug.py', str(devkit), str(sbd),
                     check=False)
    assert wrong.returncode == 1
    assert 'trainaug would have 6 ids, expected 10582' in wrong.stderr
    assert not (voc / 'SegmentationClassAug').exists()  # nothing written
    run_tool('tools/prepare_voc_aug.py', str(devkit), str(sbd),
             '--expected-size', '6')
    ids = (voc / 'ImageSets/Segmentation/trainaug.txt').read_text().split()
    assert ids == ['a1', 'a2', 'a3', 's1', 's2', 's3']  # sorted, no val ids
    aug = voc / 'SegmentationClassAug'
    assert np.unique(np.array(Image.open(aug / 's1.png'))).tolist() == [5]
    a2 = np.array(Image.open(aug / 'a2.png'))  # from VOC's palette PNG
    assert a2.tolist() == np.eye(8, 10, dtype=np.uint8).tolist()
    assert np.unique(np.array(Image.open(aug / 'a1.png'))).tolist() == [5]


def test_prepare_voc_aug_bad_mat_leaves_nothing(voc_and_sbd):
    from scipy.io import savemat
    devkit, sbd, voc = voc_and_sbd
    savemat(sbd / 'dataset/cls/s3.mat', {'GTinst': {'Segmentation': [1]}})
    proc = run_tool('tools/prepare_voc_aug.py', str(devkit), str(sbd),
                    '--expected-size', '6', check=False)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    error = proc.stderr.strip().splitlines()[-1]
    assert error.startswith('error: cannot convert') and 's3.mat' in error
    assert "KeyError: 'GTcls'" in error and 'Nothing was written' in error
    assert not (voc / 'SegmentationClassAug').exists()
    assert not (voc / 'SegmentationClassAug.partial').exists()
    assert not (voc / 'ImageSets/Segmentation/trainaug.txt').exists()


@pytest.mark.parametrize('fault', ['class 40', 'wrong shape', 'RGB png'])
def test_prepare_voc_aug_checks_what_it_writes(voc_and_sbd, fault):
    from scipy.io import savemat
    devkit, sbd, voc = voc_and_sbd
    if fault == 'RGB png':
        bad = voc / 'SegmentationClass' / 'a2.png'
        Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(bad)
    else:
        bad = sbd / 'dataset/cls/s3.mat'
        seg = np.full((8, 10), 40, np.uint8) if fault == 'class 40' else \
            np.full((4, 5), 5, np.uint8)
        savemat(bad, {'GTcls': {'Segmentation': seg, 'Boundaries': [],
                                'CategoriesPresent': [5]}})
    proc = run_tool('tools/prepare_voc_aug.py', str(devkit), str(sbd),
                    '--expected-size', '6', check=False)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    errors = [l for l in proc.stderr.splitlines() if l.startswith('error:')]
    assert len(errors) == 1 and str(bad) in errors[0], proc.stderr
    assert 'Nothing was written' in errors[0]
    assert not (voc / 'SegmentationClassAug').exists()
    assert not (voc / 'ImageSets/Segmentation/trainaug.txt').exists()


def test_prepare_voc_aug_missing_inputs(voc_and_sbd):
    devkit, sbd, _ = voc_and_sbd
    (sbd / 'dataset/cls/s2.mat').unlink()
    proc = run_tool('tools/prepare_voc_aug.py', str(devkit), str(sbd),
                    '--expected-size', '6', check=False)
    assert proc.returncode == 1
    assert '1 SBD cls/*.mat files are missing (e.g. s2)' in proc.stderr
    proc = run_tool('tools/prepare_voc_aug.py', str(devkit / 'nope'),
                    str(sbd), check=False)
    assert proc.returncode == 1 and 'train.txt not found' in proc.stderr


def test_infer_writes_overlays(tmp_path, voc_root, tiny_checkpoint):
    images = tmp_path / 'photos'
    images.mkdir()
    for name in ('2007_000000.jpg', '2007_000001.jpg'):
        shutil.copy(f'{voc_root}/JPEGImages/{name}', images)
    # same stem, another format: both outputs are kept
    cv2.imwrite(str(images / '2007_000000.png'),
                cv2.imread(f'{voc_root}/JPEGImages/2007_000001.jpg'))
    (images / 'notes.txt').write_text('not an image')
    os.mkfifo(images / 'pipe.jpg')  # reading it would hang for ever
    out = tmp_path / 'out'
    # the model was trained with the tiny-model options: give the same ones
    proc = run_tool('tools/infer.py', config('fcn_r101_voc_321.py'),
                    tiny_checkpoint, str(images), '--out', str(out),
                    '--cfg-options', *TINY_MODEL)
    assert 'wrote 3 overlay(s)' in proc.stdout
    assert 'skipping 2 entries that are not image files: notes.txt, ' \
        'pipe.jpg' in proc.stdout
    for noise in ('Failed to search registry', 'Failed to add'):
        assert noise not in proc.stdout + proc.stderr
    assert sorted(p.name for p in (out / 'vis').iterdir()) == [
        '2007_000000.jpg', '2007_000000.png', '2007_000001.jpg']
    # class maps are named after their input, at its size
    assert sorted(p.name for p in (out / 'pred').iterdir()) == [
        '2007_000000.jpg.png', '2007_000000.png.png', '2007_000001.jpg.png']
    pred = cv2.imread(str(out / 'pred/2007_000001.jpg.png'),
                      cv2.IMREAD_UNCHANGED)
    assert pred.shape == cv2.imread(str(images / '2007_000001.jpg')).shape[:2]
    # a second run says what it replaces; a broken image costs only itself
    (images / 'broken.jpg').write_text('not a jpeg')
    again = run_tool('tools/infer.py', config('fcn_r101_voc_321.py'),
                     tiny_checkpoint, str(images), '--out', str(out),
                     '--cfg-options', *TINY_MODEL, check=False)
    assert 'replacing 6 file(s) of an earlier run' in again.stdout
    assert again.returncode == 1 and 'wrote 3 overlay(s)' in again.stdout
    errors = [l for l in again.stderr.splitlines() if l.startswith('error:')]
    assert len(errors) == 1 and 'broken.jpg' in errors[0], again.stderr
    for name, source in (('2007_000000.jpg', '2007_000000.jpg'),
                         ('2007_000000.png', '2007_000001.jpg')):
        written = cv2.imread(str(out / 'vis' / name))
        assert written.shape == cv2.imread(f'{voc_root}/JPEGImages/'
                                           f'{source}').shape
    # mmseg's own --show-dir through our test wrapper
    show = tmp_path / 'show'
    shown = run_tool(
        'tools/test.py', config('fcn_r101_voc_321.py'), tiny_checkpoint,
        '--show-dir', str(show), '--work-dir', str(tmp_path / 'test'),
        '--cfg-options', *TINY_MODEL,
        f'test_dataloader.dataset.data_root={voc_root}',
        'default_hooks.visualization.interval=1')  # as the README says
    assert len(list(show.rglob('*.png'))) == 6  # one per val image
    assert f'6 picture(s) (label | prediction) in {show}/vis_data/vis_image' \
        in shown.stdout
    missing = run_tool('tools/infer.py', config('fcn_r101_voc_321.py'),
                       str(tmp_path / 'x.pth'), str(images), '--out',
                       str(out), '--cfg-options', *TINY_MODEL, check=False)
    assert missing.returncode == 1
    assert 'checkpoint not found: ' + str(tmp_path / 'x.pth') in \
        missing.stderr
    no_cuda = run_tool('tools/infer.py', config('fcn_r101_voc_321.py'),
                       tiny_checkpoint, str(images), '--out', str(out),
                       '--device', 'cuda:0', check=False)
    assert no_cuda.returncode == 1 and 'Traceback' not in no_cuda.stderr
    assert 'error: --device cuda:0: no CUDA device is available here' in \
        no_cuda.stderr


def _infer(images, out, checkpoint, *extra, check=True):
    return run_tool('tools/infer.py', config('fcn_r101_voc_321.py'),
                    checkpoint, str(images), '--out', str(out), *extra,
                    '--cfg-options', *TINY_MODEL, check=check)


def _photos(folder, count, size=(40, 56)):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        cv2.imwrite(str(folder / f'p{i:04d}.png'),
                    rng.integers(0, 255, (*size, 3), np.uint8))
    return folder


def test_infer_streams_and_an_interrupted_run_keeps_finished_images(
        tmp_path, tiny_checkpoint):
    """Outputs appear while it runs; killed (-9) midway, every file in
    --out is complete, and --skip-existing finishes the rest only."""
    import signal
    import subprocess
    import sys
    import time

    from conftest import REPO
    images = _photos(tmp_path / 'photos', 300)
    out = tmp_path / 'out'
    proc = subprocess.Popen(
        [sys.executable, 'tools/infer.py', config('fcn_r101_voc_321.py'),
         tiny_checkpoint, str(images), '--out', str(out), '--cfg-options',
         *TINY_MODEL], cwd=REPO, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(list((out / 'pred').glob('*.png'))) < 5:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = sorted(p.name for p in (out / 'pred').glob('*.png'))
    assert 5 <= len(finished) < 300  # written as it went, not at the end
    for name in finished:  # each one whole: decodes at its input's size
        assert cv2.imread(str(out / 'pred' / name),
                          cv2.IMREAD_UNCHANGED).shape == (40, 56)
    before = {n: (out / 'pred' / n).read_bytes() for n in finished
              if (out / 'vis' / n[:-4]).exists()}  # both outputs: done
    done = len(before)
    again = _infer(images, out, tiny_checkpoint, '--skip-existing',
                   '--batch-size', '4')
    assert f'--skip-existing: {done} of 300 image(s) already have both ' \
        'outputs' in again.stdout
    assert f'wrote {300 - done} overlay(s)' in again.stdout
    assert len(list((out / 'pred').glob('*.png'))) == 300
    assert not [p for p in out.rglob('*') if '.tmp' in p.name]
    for name, data in before.items():  # skipped: not rewritten
        assert (out / 'pred' / name).read_bytes() == data
    # progress: plain lines off a terminal, with rate and ETA
    assert '\r' not in again.stdout
    assert re.search(r'images: \d+/\d+ \(\d+ %\), [\d.]+/s, took',
                     again.stdout)


def test_infer_batches_give_the_single_image_results(tmp_path,
                                                     tiny_checkpoint):
    """--batch-size 3 over images of two sizes: the class maps of
    mmseg's own inferencer, one path at a time."""
    import fcn_plugin  # noqa: F401
    from mmseg.apis import MMSegInferencer

    from fcn_plugin.tooling.cli import load_checked_config
    images = _photos(tmp_path / 'photos', 4)
    cv2.imwrite(str(images / 'wide.png'),
                np.random.default_rng(1).integers(0, 255, (30, 70, 3),
                                                  np.uint8))
    out = tmp_path / 'out'
    _infer(images, out, tiny_checkpoint, '--batch-size', '3')
    from mmengine.config import DictAction
    cfg = load_checked_config(config('fcn_r101_voc_321.py'), {
        key: DictAction._parse_iterable(value)
        for key, value in (o.split('=', 1) for o in TINY_MODEL)})
    inferencer = MMSegInferencer(model=cfg, weights=tiny_checkpoint,
                                 device='cpu')
    for path in sorted(images.iterdir()):
        expected = inferencer(str(path), return_datasamples=True)
        expected = expected.pred_sem_seg.data[0].numpy()
        written = cv2.imread(str(out / 'pred' / (path.name + '.png')),
                             cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(written, expected)


def test_second_infer_into_one_out_is_refused(tmp_path, tiny_checkpoint):
    import subprocess
    import sys

    from conftest import REPO
    images = _photos(tmp_path / 'photos', 2)
    out = tmp_path / 'out'
    _infer(images, out, tiny_checkpoint)
    before = {p: p.read_bytes() for p in out.rglob('*') if p.is_file()}
    holder = subprocess.Popen(
        [sys.executable, '-c',
         'import sys, time\nfrom fcn_plugin.engine.work_dir_lock import '
         'lock_folder\nlock = lock_folder(sys.argv[1], ".infer.lock", "x", '
         '"--out")\nprint("locked", flush=True)\ntime.sleep(600)', str(out)],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        proc = _infer(images, out, tiny_checkpoint, check=False)
    finally:
        holder.kill()
        holder.wait()
    errors = [l for l in proc.stderr.splitlines() if l.strip()]
    assert proc.returncode == 1 and len(errors) == 1, proc.stderr
    assert f'--out {out} is in use by another inference (pid {holder.pid}' \
        in errors[0]
    after = {p: p.read_bytes() for p in out.rglob('*') if p.is_file()}
    assert {p: b for p, b in after.items() if p.name != '.infer.lock'} == \
        {p: b for p, b in before.items() if p.name != '.infer.lock'}


def _exif_jpeg(path, rgb, orientation):
    """A JPEG whose EXIF says: display rotated (6: 90 degrees clockwise)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgb).save(path, quality=95, exif=exif.tobytes())


def test_exif_orientation_dataset_as_the_reference_infer_upright(
        tmp_path, voc_root, tiny_checkpoint):
    """A tagged, non-square VOC JPEG loads as PIL (the reference) loads
    it, unrotated, so its label matches; infer.py shows the photo upright
    and its class map has that orientation, saying so."""
    import fcn_plugin  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmseg.registry import TRANSFORMS

    from fcn_plugin.tooling.builder import load_config
    root = tmp_path / 'VOC2012'
    shutil.copytree(voc_root, root)
    name = '2007_000001'
    label = cv2.imread(str(root / 'SegmentationClassAug' / f'{name}.png'),
                       cv2.IMREAD_UNCHANGED)
    height, width = label.shape
    assert height != width
    rgb = np.random.default_rng(0).integers(0, 255, (height, width, 3),
                                            np.uint8)
    jpeg = root / 'JPEGImages' / f'{name}.jpg'
    _exif_jpeg(jpeg, rgb, 6)
    assert Image.open(jpeg).getexif()[0x0112] == 6
    reference = np.asarray(Image.open(jpeg).convert('RGB'))  # PIL: stored
    cfg = load_config(config('fcn_r101_voc_321.py'))
    init_default_scope('mmseg')
    for pipeline in (cfg.train_pipeline, cfg.test_pipeline):
        load = TRANSFORMS.build(pipeline[0])
        img = load(dict(img_path=str(jpeg)))['img']
        assert img.shape[:2] == reference.shape[:2] == (height, width)
        assert np.abs(img[..., ::-1].astype(int) - reference).mean() < 2
    proc = run_tool('tools/check_dataset.py', config('fcn_r101_voc_321.py'),
                    '--data-root', str(root))
    assert 'OK: the dataset is ready.' in proc.stdout
    photos = tmp_path / 'photos'
    photos.mkdir()
    shutil.copy(jpeg, photos / 'phone.jpg')
    out = tmp_path / 'out'
    proc = _infer(photos, out, tiny_checkpoint)
    assert '1 photo(s) carry an EXIF orientation: shown upright' in \
        proc.stdout and 'phone.jpg' in proc.stdout
    upright = (width, height)  # rotated 90 degrees for display
    pred = cv2.imread(str(out / 'pred/phone.jpg.png'), cv2.IMREAD_UNCHANGED)
    vis = cv2.imread(str(out / 'vis/phone.jpg'), cv2.IMREAD_IGNORE_ORIENTATION
                     | cv2.IMREAD_COLOR)
    assert pred.shape == vis.shape[:2] == upright


def _png_bomb(path, side):
    """A real grey PNG of side x side zeros: a few KB on disk."""
    import struct
    import zlib

    def chunk(kind, data):
        body = kind + data
        return struct.pack('>I', len(data)) + body + struct.pack(
            '>I', zlib.crc32(body))
    packer, row = zlib.compressobj(9), b'\0' * (side + 1)
    idat = b''.join(packer.compress(row) for _ in range(side)) + \
        packer.flush()
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(
        b'IHDR', struct.pack('>IIBBBBB', side, side, 8, 0, 0, 0, 0)) +
        chunk(b'IDAT', idat) + chunk(b'IEND', b''))


def test_check_dataset_names_a_decompression_bomb_without_decoding(
        tmp_path, voc_root):
    root = tmp_path / 'VOC2012'
    shutil.copytree(voc_root, root)
    bomb = root / 'SegmentationClassAug' / '2007_000003.png'
    _png_bomb(bomb, 20000)
    assert bomb.stat().st_size < 1_000_000
    proc = run_tool('tools/check_dataset.py', config('fcn_r101_voc_321.py'),
                    '--data-root', str(root), '--splits', 'train',
                    check=False)
    assert proc.returncode == 1
    assert f'label {bomb} is 20000x20000 pixels, far beyond a dataset ' \
        'frame: not decoded' in proc.stdout
    assert 'FAILED: 1 problem(s)' in proc.stdout
    # what it read, where, with how many processes; plain progress lines
    assert f'train: reading 24 images and labels from {root}/JPEGImages (' \
        in proc.stdout
    assert 'train samples: 24/24 (100 %)' in proc.stdout
    assert '\r' not in proc.stdout
