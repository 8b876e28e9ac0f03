"""Data helpers: check_dataset.py, prepare_voc_aug.py, infer.py."""
import re
import shutil

import cv2
import numpy as np
import pytest
from conftest import config, run_tool
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
    proc = run_tool('tools/check_dataset.py', config('fcn_r101_voc_321.py'),
                    '--data-root', str(root), '--splits', 'train',
                    check=False)
    assert proc.returncode == 1
    assert '3 problem(s)' in proc.stdout
    assert '2007_000001.png is 5x5 but its image' in proc.stdout
    assert '2007_000002.png holds values [77]' in proc.stdout
    assert 'cannot read image' in proc.stdout and '2007_000003.jpg' in \
        proc.stdout
    assert 'FAILED: 3 problem(s)' in proc.stdout
    (root / 'SegmentationClassAug/2007_000004.png').unlink()
    proc = run_tool('tools/check_dataset.py', config('fcn_r101_voc_321.py'),
                    '--data-root', str(root), check=False)
    assert proc.returncode == 1 and '1 of 24 label files' in proc.stdout


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
    assert sorted(ids) == ['a1', 'a2', 'a3', 's1', 's2', 's3']  # no val ids
    aug = voc / 'SegmentationClassAug'
    assert np.unique(np.array(Image.open(aug / 's1.png'))).tolist() == [5]
    a2 = np.array(Image.open(aug / 'a2.png'))  # from VOC's palette PNG
    assert a2.tolist() == np.eye(8, 10, dtype=np.uint8).tolist()
    assert np.unique(np.array(Image.open(aug / 'a1.png'))).tolist() == [5]


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
    (images / 'notes.txt').write_text('not an image')
    # infer.py has no --cfg-options: give it a config with the tiny model
    tiny = tmp_path / 'tiny.py'
    tiny.write_text(
        f"_base_ = {config('fcn_r101_voc_321.py')!r}\n"
        "model = dict(backbone=dict(depth=18, base_channels=16, "
        "stem_channels=16, init_cfg=None), decode_head=dict(in_channels=128, "
        "channels=32))\n")
    out = tmp_path / 'out'
    proc = run_tool('tools/infer.py', str(tiny), tiny_checkpoint, str(images),
                    '--out', str(out))
    assert 'wrote 2 overlay(s)' in proc.stdout
    for name in ('2007_000000.png', '2007_000001.png'):
        written = cv2.imread(str(out / name))
        source = cv2.imread(f'{voc_root}/JPEGImages/{name[:-4]}.jpg')
        assert written.shape == source.shape
    # mmseg's own --show-dir through our test wrapper
    show = tmp_path / 'show'
    run_tool('tools/test.py', str(tiny), tiny_checkpoint, '--show-dir',
             str(show), '--work-dir', str(tmp_path / 'test'), '--cfg-options',
             f'test_dataloader.dataset.data_root={voc_root}',
             'default_hooks.visualization.interval=1')  # as the README says
    assert len(list(show.rglob('*.png'))) == 6  # one per val image
    missing = run_tool('tools/infer.py', str(tiny), str(tmp_path / 'x.pth'),
                       str(images), '--out', str(out), check=False)
    assert missing.returncode == 1 and 'x.pth does not exist' in missing.stderr
