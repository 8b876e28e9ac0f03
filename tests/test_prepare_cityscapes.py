"""tools/prepare_cityscapes.py: the half-resolution copy is used
automatically and gives bitwise the same samples as the originals."""
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from conftest import config, run_tool
from mmengine.registry import init_default_scope

import fcn_plugin  # noqa: F401
from fcn_plugin.tooling.builder import load_config
from fcn_plugin.datasets import SampleKey
from mmseg.registry import DATASETS


@pytest.fixture
def prepared(tmp_path, cityscapes_root):
    root = tmp_path / 'cityscapes'
    shutil.copytree(cityscapes_root, root)
    proc = run_tool('tools/prepare_cityscapes.py', str(root), '--workers',
                    '2')
    assert 'train: done' in proc.stdout and 'val: done' in proc.stdout
    return root, proc


def _dataset(root, split, name='fcn_r101_cityscapes_256x512.py', **kwargs):
    init_default_scope('mmseg')
    ds_cfg = load_config(config(name))[f'{split}_dataloader'].dataset
    ds_cfg.update(data_root=str(root), **kwargs)
    return DATASETS.build(ds_cfg)


def test_copy_layout_and_automatic_use(prepared):
    root, _ = prepared
    copy = root / 'half_resolution'
    assert (copy / 'leftImg8bit/train.done').exists()
    assert len(list(copy.glob('leftImg8bit/train/*/*_leftImg8bit.bmp'))) == 4
    labels = list(copy.glob('gtFine/val/*/*_gtFine_labelIds.bmp'))
    assert len(labels) == 2 and not list(copy.rglob('*.png'))
    with open(labels[0], 'rb') as f:
        assert f.read(2) == b'BM'  # a real BMP file
    assert not list(copy.rglob('*.tmp*'))
    ds = _dataset(root, 'train')
    assert '/half_resolution/' in ds.get_data_info(0)['img_path']
    assert '/half_resolution/' not in _dataset(
        root, 'train', half_resolution_copy=False).get_data_info(0)['img_path']
    # the full-resolution test config keeps the original labels
    full = _dataset(root, 'val', 'fcn_r101_cityscapes_256x512_fullres_test.py')
    assert '/half_resolution/' not in full.get_data_info(0)['seg_map_path']


def test_samples_are_bitwise_the_originals(prepared):
    root, _ = prepared
    for split in ('train', 'val'):
        copy = _dataset(root, split)
        original = _dataset(root, split, half_resolution_copy=False)
        for i in range(len(original)):
            key = SampleKey(0, 3, i) if split == 'train' else i
            a, b = copy[key], original[key]
            assert torch.equal(a['inputs'], b['inputs'])
            assert torch.equal(a['data_samples'].gt_sem_seg.data,
                               b['data_samples'].gt_sem_seg.data)
            if split == 'val':  # scored at the same size
                assert a['data_samples'].ori_shape == \
                    b['data_samples'].ori_shape == (512, 1024)


def test_rerun_continues_and_problems_are_listed(prepared):
    root, _ = prepared
    again = run_tool('tools/prepare_cityscapes.py', str(root))
    assert 'train: already complete' in again.stdout
    # interrupted: marker and some outputs missing -> the rerun finishes it
    (root / 'half_resolution/leftImg8bit/val.done').unlink()
    one = next((root / 'half_resolution/leftImg8bit/val').rglob('*.bmp'))
    one.unlink()
    redo = run_tool('tools/prepare_cityscapes.py', str(root), '--splits',
                    'val')
    assert one.exists()
    assert 'val: 1 of 2 images to write at 512x1024 (HxW), 1 already ' \
        'current' in redo.stdout  # says what it redoes
    assert 'val images: 1/1 (100 %)' in redo.stdout
    # a broken source image: listed, split not marked complete, nothing
    # half-written
    shutil.rmtree(root / 'half_resolution')
    bad = next((root / 'leftImg8bit/train').rglob('*.png'))
    bad.write_bytes(bad.read_bytes()[:100])
    proc = run_tool('tools/prepare_cityscapes.py', str(root), check=False)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    assert f'cannot read {bad}' in proc.stdout
    assert 'error: 1 problem(s) listed above' in proc.stderr
    assert not (root / 'half_resolution/leftImg8bit/train.done').exists()
    assert (root / 'half_resolution/leftImg8bit/val.done').exists()
    assert not list((root / 'half_resolution').rglob('*.tmp*'))
    assert '/half_resolution/' not in _dataset(root, 'train').get_data_info(
        0)['img_path']  # incomplete copy: originals


def test_copy_of_an_earlier_format_is_redone(prepared):
    """A copy with PNG labels (made before the labels became BMP) is stale:
    the dataset refuses it with the fix, the tool redoes it and says what
    it removed, and the samples are again those of the originals."""
    import json

    import cv2

    from fcn_plugin.errors import UserInputError
    root, _ = prepared
    copy = root / 'half_resolution'
    for split in ('train', 'val'):  # what the earlier version wrote
        for bmp in (copy / 'gtFine' / split).rglob('*_labelIds.bmp'):
            png = str(bmp).replace('_labelIds.bmp', '_labelIds.png')
            cv2.imwrite(png, cv2.imread(str(bmp), cv2.IMREAD_UNCHANGED))
            bmp.unlink()
        marker = copy / 'leftImg8bit' / f'{split}.done'
        record = json.loads(marker.read_text())
        marker.write_text(json.dumps(dict(record,
                                          label='_gtFine_labelIds.png')))
    with pytest.raises(UserInputError, match='earlier version'):
        _dataset(root, 'train')
    proc = run_tool('tools/prepare_cityscapes.py', str(root))
    assert 'train: removed 4 PNG labels of the earlier format' in proc.stdout
    assert not list(copy.rglob('*.png'))
    copied, original = _dataset(root, 'train'), _dataset(
        root, 'train', half_resolution_copy=False)
    assert copied.get_data_info(0)['seg_map_path'].endswith(
        '/half_resolution/gtFine/train/' + osp.relpath(
            original.get_data_info(0)['seg_map_path'],
            str(root / 'gtFine/train')).replace('.png', '.bmp'))
    for i in range(len(original)):
        a, b = copied[SampleKey(0, 1, i)], original[SampleKey(0, 1, i)]
        assert torch.equal(a['data_samples'].gt_sem_seg.data,
                           b['data_samples'].gt_sem_seg.data)


def test_resize_of_a_half_resolution_image_is_identity():
    """Why the pipeline needs no change: its Resize keeps 512x1024 as is."""
    from mmseg.registry import TRANSFORMS
    init_default_scope('mmseg')
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (512, 1024, 3), dtype=np.uint8)
    seg = rng.integers(0, 34, (512, 1024), dtype=np.uint8)
    out = TRANSFORMS.build(dict(type='Resize', scale=(1024, 512),
                                keep_ratio=False))(
        dict(img=img.copy(), gt_seg_map=seg.copy(),
             seg_fields=['gt_seg_map']))
    assert np.array_equal(out['img'], img)
    assert np.array_equal(out['gt_seg_map'], seg)
