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
