"""Each transform against hand-computed expectations, and the whole train
pipelines' output shapes and value ranges."""
from unittest import mock

import numpy as np
import pytest
from conftest import config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, TRANSFORMS

import fcn_plugin  # noqa: F401
from fcn_plugin.errors import UserInputError
from fcn_plugin.tooling.builder import load_config

init_default_scope('mmseg')


def _sample(h=100, w=150):
    img = np.arange(h * w * 3, dtype=np.uint32).reshape(h, w, 3) % 251
    seg = (np.arange(h * w).reshape(h, w) % 21).astype(np.uint8)
    return dict(img=img.astype(np.uint8), gt_seg_map=seg,
                seg_fields=['gt_seg_map'], img_shape=(h, w))


@pytest.mark.parametrize('factor,expected', [(0.5, (50, 75)), (0.77, (77, 115)),
                                             (1.5, (150, 225)),
                                             (1.333, (133, 199))])
def test_random_scale_uses_int_of_scale_times_size(factor, expected):
    t = TRANSFORMS.build(dict(type='RandomScale', ratio_range=(0.5, 1.5)))
    with mock.patch('numpy.random.uniform', return_value=factor) as draw:
        out = t(_sample())
    draw.assert_called_once_with(0.5, 1.5)
    assert out['img'].shape[:2] == expected == out['gt_seg_map'].shape
    assert out['img_shape'] == expected
    # nearest for labels: no new values appear
    assert set(np.unique(out['gt_seg_map'])) <= set(range(21))


def test_random_scale_draws_uniformly_in_range():
    t = TRANSFORMS.build(dict(type='RandomScale'))
    np.random.seed(0)
    heights = [t(_sample(h=200, w=10))['img'].shape[0] for _ in range(300)]
    assert 100 <= min(heights) < 110 and 290 < max(heights) <= 300


@pytest.mark.parametrize('shape,crop', [
    ((512, 1024), (256, 512)), ((1024, 2048), (256, 512)),
    ((375, 500), (321, 321)), ((200, 150), (321, 321)),  # smaller: no crop
    ((333, 517), (321, 321))])
def test_random_scale_crop_is_random_scale_then_mmseg_random_crop(shape,
                                                                  crop):
    """The same random draws and pixels as the two transforms it fuses,
    mmseg's own RandomCrop among them, over many seeds."""
    fused = TRANSFORMS.build(dict(type='RandomScaleCrop',
                                  ratio_range=(0.5, 1.5), crop_size=crop))
    scale = TRANSFORMS.build(dict(type='RandomScale', ratio_range=(0.5, 1.5)))
    cut = TRANSFORMS.build(dict(type='RandomCrop', crop_size=crop,
                                cat_max_ratio=1.0))
    rng = np.random.default_rng(shape[0])
    img = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    seg = rng.integers(0, 34, shape, dtype=np.uint8)
    for seed in range(12):
        sample = dict(img=img, gt_seg_map=seg, seg_fields=['gt_seg_map'],
                      img_shape=shape)
        np.random.seed(seed)
        a = fused(dict(sample))
        after_a = np.random.random()
        np.random.seed(seed)
        b = cut(scale(dict(sample)))
        assert np.random.random() == after_a  # as many draws
        assert np.array_equal(a['img'], b['img'])
        assert np.array_equal(a['gt_seg_map'], b['gt_seg_map'])
        assert a['img_shape'] == b['img_shape'] == a['gt_seg_map'].shape
        assert a['scale_factor'] == b['scale_factor']


def test_pad_then_crop_matches_reference():
    """Reference: pad right/bottom to the crop (0 image, 255 label), then crop.
    mmseg: crop min(crop, image), then the data preprocessor pads 0 / 255."""
    import torch
    from mmseg.models.data_preprocessor import SegDataPreProcessor
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    crop = TRANSFORMS.build(dict(type='RandomCrop', crop_size=(321, 321)))
    sample = _sample(h=200, w=400)
    np.random.seed(3)
    out = crop(dict(sample, img_shape=(200, 400)))
    assert out['img'].shape[:2] == (200, 321)
    data_sample = SegDataSample(gt_sem_seg=PixelData(
        data=torch.from_numpy(out['gt_seg_map'])[None].long()))
    pre = SegDataPreProcessor(size=(321, 321), pad_val=0, seg_pad_val=255)
    batch = pre(dict(inputs=[torch.from_numpy(out['img']).permute(2, 0, 1)],
                     data_samples=[data_sample]), training=True)
    img, seg = batch['inputs'][0], batch['data_samples'][0].gt_sem_seg.data[0]
    assert img.shape == (3, 321, 321)
    assert torch.all(img[:, 200:] == 0) and torch.all(seg[200:] == 255)
    # the crop's horizontal offset lies inside the image (0..79)
    offsets = [np.flatnonzero((sample['img'][0] == out['img'][0, 0]).all(1))]
    assert offsets[0].size and offsets[0][0] <= 79


def test_cityscapes_label_id_map_uses_reference_table():
    t = TRANSFORMS.build(dict(type='CityscapesLabelIdMap'))
    ids = np.array([[0, 7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26,
                     27, 28, 31, 32, 33, 34, 255, 6, 29, 30]], np.uint8)
    out = t(dict(gt_seg_map=ids, seg_map_path='a_gtFine_labelIds.png'))
    assert out['gt_seg_map'].tolist() == [[255, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                           10, 11, 12, 13, 14, 15, 16, 17, 18,
                                           255, 255, 255, 255, 255]]


def test_cityscapes_train_ids_pass_through_and_are_checked():
    t = TRANSFORMS.build(dict(type='CityscapesLabelIdMap'))
    train_ids = np.array([[0, 18, 255]], np.uint8)
    out = t(dict(gt_seg_map=train_ids.copy(),
                 seg_map_path='a_gtFine_labelTrainIds.png'))
    assert out['gt_seg_map'].tolist() == [[0, 18, 255]]
    with pytest.raises(UserInputError, match=r'x_labelTrainIds.png holds .*26'):
        t(dict(gt_seg_map=np.array([[26]], np.uint8),
               seg_map_path='x_labelTrainIds.png'))


def test_pad_image_for_test_pads_right_bottom_and_records_padding():
    t = TRANSFORMS.build(dict(type='PadImageForTest', size=(505, 505)))
    sample = _sample(h=375, w=500)
    out = t(sample)
    assert out['img'].shape == (505, 505, 3)
    assert out['img_padding_size'] == [0, 5, 0, 130]
    assert np.all(out['img'][375:] == 0) and np.all(out['img'][:, 500:] == 0)
    assert np.array_equal(out['img'][:375, :500], _sample(375, 500)['img'])
    assert out['gt_seg_map'].shape == (375, 500)  # label is not padded


def test_evaluate_at_scale_resizes_label_as_mmcv_resize():
    rng = np.random.default_rng(0)
    label = rng.integers(0, 19, (1024, 2048)).astype(np.uint8)
    t = TRANSFORMS.build(dict(type='EvaluateAtScale', scale=(1024, 512)))
    out = t(dict(gt_seg_map=label.copy(), ori_shape=(1024, 2048),
                 img_shape=(512, 1024)))
    assert out['ori_shape'] == (512, 1024)
    resize = TRANSFORMS.build(dict(type='Resize', scale=(1024, 512),
                                   keep_ratio=False))
    expected = resize(dict(img=np.zeros((1024, 2048, 3), np.uint8),
                           gt_seg_map=label.copy(),
                           seg_fields=['gt_seg_map']))['gt_seg_map']
    assert expected.shape == (512, 1024)
    assert np.array_equal(out['gt_seg_map'], expected)
    # no label (inference): predictions stay at the input image's size
    assert t(dict(ori_shape=(1024, 2048)))['ori_shape'] == (1024, 2048)


def test_label_steps_do_nothing_without_a_label():
    results = dict(img=np.zeros((4, 6, 3), np.uint8), ori_shape=(4, 6))
    for step in (dict(type='CheckedLoadAnnotations', num_classes=21),
                 dict(type='CityscapesLabelIdMap')):
        out = TRANSFORMS.build(step)(dict(results))
        assert 'gt_seg_map' not in out and out['ori_shape'] == (4, 6)


def _pipeline(cfg_name, root, key='train_dataloader'):
    cfg = load_config(f'configs/{cfg_name}')
    ds_cfg = cfg[key].dataset
    ds_cfg.data_root = root
    return DATASETS.build(ds_cfg)


def test_voc_train_pipeline_output(voc_root):
    ds = _pipeline('fcn_r101_voc_321.py', voc_root)
    np.random.seed(0)
    for i in range(6):
        item = ds[i]
        img, seg = item['inputs'], item['data_samples'].gt_sem_seg.data
        assert img.dtype.is_floating_point is False and img.shape[0] == 3
        assert img.shape[1] <= 321 and img.shape[2] <= 321
        assert seg.shape[-2:] == img.shape[-2:]
        assert set(seg.unique().tolist()) <= set(range(21)) | {255}


def test_voc_test_pipeline_output(voc_root):
    ds = _pipeline('fcn_r101_voc_321.py', voc_root, 'test_dataloader')
    item = ds[0]
    meta = item['data_samples'].metainfo
    assert item['inputs'].shape[-2:] == (505, 505)
    assert meta['img_padding_size'][1] == 505 - meta['ori_shape'][1]
    assert item['data_samples'].gt_sem_seg.data.shape[-2:] == \
        meta['ori_shape']


def test_cityscapes_pipelines_output(cityscapes_root):
    ds = _pipeline('fcn_r101_cityscapes_256x512.py', cityscapes_root)
    np.random.seed(1)
    for i in range(4):
        item = ds[i]
        seg = item['data_samples'].gt_sem_seg.data
        assert item['inputs'].shape[-2:] == seg.shape[-2:]
        assert seg.shape[-2] <= 256 and seg.shape[-1] <= 512
        assert set(seg.unique().tolist()) <= set(range(19)) | {255}
    # synthetic images are 256x512; the pipeline resizes to 512x1024 first
    test = _pipeline('fcn_r101_cityscapes_256x512.py', cityscapes_root,
                     'test_dataloader')[0]
    assert test['inputs'].shape[-2:] == (512, 1024)
    assert test['data_samples'].metainfo['ori_shape'] == (512, 1024)
    assert test['data_samples'].gt_sem_seg.data.shape[-2:] == (512, 1024)
    full = _pipeline('fcn_r101_cityscapes_256x512_fullres_test.py',
                     cityscapes_root, 'test_dataloader')[0]
    assert full['data_samples'].metainfo['ori_shape'] == (256, 512)


def test_cityscapes_test_label_is_the_reference_one(cityscapes_root):
    """Raw ids -> train ids, then NEAREST to 512x1024 (the reference's
    order: resize image and label together, map ids): the same pixels."""
    import cv2
    from fcn_plugin.datasets.transforms.cityscapes_label_id_map import \
        LABEL_ID_TO_TRAIN_ID
    ds = _pipeline('fcn_r101_cityscapes_256x512.py', cityscapes_root,
                   'test_dataloader')
    raw = cv2.imread(ds.get_data_info(0)['seg_map_path'], cv2.IMREAD_UNCHANGED)
    resized = cv2.resize(raw, (1024, 512), interpolation=cv2.INTER_NEAREST)
    lut = np.array(LABEL_ID_TO_TRAIN_ID + (255, ) * (256 - 34), np.uint8)
    assert np.array_equal(ds[0]['data_samples'].gt_sem_seg.data[0].numpy(),
                          lut[resized])


def test_cityscapes_converted_train_id_labels_work(tmp_path, cityscapes_root):
    """`seg_map_suffix=_gtFine_labelTrainIds.png` (README) reads converted
    labels unchanged."""
    import shutil

    import cv2
    from fcn_plugin.datasets.transforms.cityscapes_label_id_map import \
        LABEL_ID_TO_TRAIN_ID
    root = tmp_path / 'cityscapes'
    shutil.copytree(cityscapes_root, root)
    lut = np.array(LABEL_ID_TO_TRAIN_ID + (255, ) * (256 - 34), np.uint8)
    for raw in root.rglob('*_gtFine_labelIds.png'):
        label = cv2.imread(str(raw), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(raw).replace('_labelIds', '_labelTrainIds'),
                    lut[label])
    cfg = load_config('configs/fcn_r101_cityscapes_256x512.py')
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.data_root = str(root)
    raw_item = DATASETS.build(ds_cfg)[0]
    ds_cfg.seg_map_suffix = '_gtFine_labelTrainIds.png'
    converted = DATASETS.build(ds_cfg)
    assert converted.get_data_info(0)['seg_map_path'].endswith(
        '_labelTrainIds.png')
    item = converted[0]
    assert np.array_equal(item['data_samples'].gt_sem_seg.data,
                          raw_item['data_samples'].gt_sem_seg.data)


def _label_files(tmp_path):
    """Label files of every kind a user may have: each Pillow mode in PNG
    and BMP, OpenCV's BMP (the copy's labels), a gray BMP palette that is
    not the identity, a gray PNG with a transparent value, 16-bit and
    truncated files."""
    import cv2
    from PIL import Image
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 21, (7, 9), dtype=np.uint8)
    gray[0, :3] = (255, 254, 128)
    files = []
    for mode in ('1', 'L', 'P', 'RGB', 'RGBA', 'LA', 'I;16', 'I'):
        image = Image.fromarray(gray).convert(mode) if mode != 'I;16' else \
            Image.fromarray(gray.astype(np.uint16) * 300)
        for ext in ('png', 'bmp'):
            path = tmp_path / f'{mode.replace(";", "_")}.{ext}'
            try:
                image.save(path)
            except (OSError, KeyError, ValueError):
                continue  # a mode this format cannot hold
            files.append(path)
    Image.fromarray(gray).convert('P').save(tmp_path / 'p4.png', bits=4)
    inverted = Image.fromarray(gray, 'P')
    inverted.putpalette([255 - i // 3 for i in range(768)])  # gray, reversed
    inverted.save(tmp_path / 'gray_palette.bmp')
    inverted.save(tmp_path / 'gray_palette.png')
    Image.fromarray(gray).save(tmp_path / 'trns.png', transparency=3)
    cv2.imwrite(str(tmp_path / 'cv2.bmp'), gray)  # the copy's labels
    cv2.imwrite(str(tmp_path / 'bgr.bmp'), np.dstack([gray] * 3))
    cv2.imwrite(str(tmp_path / 'u16.png'), gray.astype(np.uint16))
    files += [tmp_path / n for n in (
        'p4.png', 'gray_palette.bmp', 'gray_palette.png', 'trns.png',
        'cv2.bmp', 'bgr.bmp', 'u16.png')]
    (tmp_path / 'short.png').write_bytes(b'\x89PNG\r\n\x1a\n')
    files.append(tmp_path / 'short.png')
    return files


def test_label_header_check_agrees_with_pillow(tmp_path):
    """The PNG/BMP header check calls a file a class map exactly when
    Pillow's mode says so (and is used for those); other files go to
    Pillow."""
    from PIL import Image

    from fcn_plugin.datasets.transforms.checked_loading import (
        CLASS_MAP_MODES, class_map_header, label_format_problem)
    seen = set()
    for path in _label_files(tmp_path):
        header = class_map_header(str(path))
        try:
            with Image.open(path) as image:
                pillow = image.mode in CLASS_MAP_MODES
                seen.add((path.suffix, image.mode))
        except OSError:
            pillow = None
        assert (header is not None) == bool(pillow), (path.name, pillow)
        assert (label_format_problem(str(path)) == '') == (pillow is not
                                                           False)
    assert {('.png', 'L'), ('.png', 'P'), ('.bmp', 'L'), ('.bmp', 'P'),
            ('.png', 'RGB'), ('.bmp', 'RGB'), ('.png', 'I;16')} <= seen, seen
    # the OpenCV fast path: exactly the plain 8-bit gray maps (Pillow's
    # 'P' from 'L' keeps the identity gray palette)
    assert {p.name for p in _label_files(tmp_path)
            if class_map_header(str(p)) == 'gray8'} == {
        'L.png', 'L.bmp', 'P.bmp', 'cv2.bmp', 'trns.png'}


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_labels_load_as_their_decoder_reads_them(tmp_path, backend):
    """Every class-map label loads to the indices the configured decoder
    reads (Pillow: mmseg's default), the OpenCV fast path for plain gray
    maps included; where OpenCV, chosen, decodes a palette to colours, one
    line names the label."""
    import mmcv
    from PIL import Image

    from fcn_plugin.datasets.transforms import CheckedLoadAnnotations
    from fcn_plugin.datasets.transforms.checked_loading import \
        class_map_header
    load = CheckedLoadAnnotations(imdecode_backend=backend)
    fast = []
    for path in _label_files(tmp_path):
        if class_map_header(str(path)) is None:
            continue
        if backend == 'pillow':
            with Image.open(path) as image:
                expected = np.array(image).astype(np.uint8)
        else:
            expected = mmcv.imread(str(path), 'unchanged', backend='cv2')
        results = dict(seg_map_path=str(path), seg_fields=[],
                       reduce_zero_label=False)
        if expected.ndim == 3:
            with pytest.raises(UserInputError, match=f'label {path} decodes '
                               "to 3 channels with imdecode_backend='cv2'"):
                load(results)
            continue
        got = load(results)['gt_seg_map']
        assert got.dtype == np.uint8 and got.shape == (7, 9), path.name
        assert np.array_equal(got, expected), path.name
        fast.append(class_map_header(str(path)) == 'gray8')
    assert sum(fast) == 5 and len(fast) >= (9 if backend == 'pillow' else 6)


@pytest.mark.parametrize('cfg_name,root', [
    ('fcn_r101_cityscapes_256x512.py', 'cityscapes_root'),
    ('fcn_r101_voc_321.py', 'voc_root')])
def test_train_pipeline_gives_the_samples_of_its_unfused_order(
        request, cfg_name, root):
    """The train pipeline as configured (RandomScaleCrop; Cityscapes: the
    label map after the crop) and as it reads step by step (RandomScale,
    mmseg's RandomCrop; label ids mapped right after loading, as the
    reference does): bitwise the same samples."""
    import torch

    from fcn_plugin.datasets import SampleKey
    dataset_cfg = load_config(config(cfg_name)).train_dataloader.dataset
    dataset_cfg.data_root = request.getfixturevalue(root)
    unfused = []
    for step in dataset_cfg.pipeline:
        if step['type'] == 'RandomScaleCrop':
            unfused += [dict(type='RandomScale',
                             ratio_range=step['ratio_range']),
                        dict(type='RandomCrop', crop_size=step['crop_size'],
                             cat_max_ratio=1.0)]
        elif step['type'] != 'CityscapesLabelIdMap':
            unfused.append(step)
        if step['type'] == 'CheckedLoadAnnotations' and 'cityscapes' in \
                cfg_name:
            unfused.append(dict(type='CityscapesLabelIdMap'))
    assert len(unfused) == len(dataset_cfg.pipeline) + 1
    configured = DATASETS.build(dataset_cfg)
    dataset_cfg.pipeline = unfused
    step_by_step = DATASETS.build(dataset_cfg)
    for epoch in range(3):
        for i in range(len(configured)):
            a = configured[SampleKey(0, epoch, i)]
            b = step_by_step[SampleKey(0, epoch, i)]
            assert torch.equal(a['inputs'], b['inputs'])
            assert torch.equal(a['data_samples'].gt_sem_seg.data,
                               b['data_samples'].gt_sem_seg.data)


@pytest.mark.parametrize('shape', [(1, 1), (1, 40), (40, 1)])
def test_random_scale_keeps_a_pixel_of_a_thin_image(shape):
    """A side of 1 pixel scaled below 1 stays 1 (the reference's int() gives
    0 and its resize fails); the other side scales as usual."""
    scale = TRANSFORMS.build(dict(type='RandomScale', ratio_range=(0.5, 0.6)))
    h, w = shape
    out = scale(dict(img=np.full((h, w, 3), 7, np.uint8),
                     gt_seg_map=np.full((h, w), 3, np.uint8),
                     seg_fields=['gt_seg_map']))
    assert out['img'].shape[:2] == out['gt_seg_map'].shape
    for side, scaled in zip(shape, out['img'].shape[:2]):
        assert scaled == 1 if side == 1 else 20 <= scaled <= 24
    assert (out['gt_seg_map'] == 3).all()
