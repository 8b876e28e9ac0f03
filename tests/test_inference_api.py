"""mmseg's own inference APIs and --tta on the row configs; checkpoints that
do not fit, or cannot be read, are refused with one line (issue 11)."""
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from conftest import TINY_MODEL, config, data_root_options, run_tool
from mmengine.config import DictAction

import fcn_plugin  # noqa: F401  (before mmseg's models: mmcv-lite)
from fcn_plugin.tooling.builder import build_segmentor, load_config
from fcn_plugin.errors import UserInputError
from fcn_plugin.weights import load_checkpoint_file
from mmseg.apis import MMSegInferencer, inference_model, init_model

ROWS = ['fcn_r101_voc_321.py', 'fcn_r101_voc_321_fp32.py',
        'fcn_r101_cityscapes_256x512.py',
        'fcn_r101_cityscapes_256x512_fullres_test.py']
TINY = {k: DictAction._parse_iterable(v)
        for k, v in (o.split('=', 1) for o in TINY_MODEL)}


def _tiny_cfg(name):
    return load_config(config(name), TINY)


@pytest.fixture(scope='module')
def tiny_weights(tmp_path_factory):
    """Random tiny-model checkpoints, 21 and 19 classes, mmseg format."""
    out = {}
    for classes, name in ((21, ROWS[0]), (19, ROWS[2])):
        torch.manual_seed(classes)
        model = build_segmentor(_tiny_cfg(name))
        path = tmp_path_factory.mktemp('w') / f'tiny_{classes}.pth'
        torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)
        out[classes] = str(path)
    return out


def _image_path(name, voc_root, cityscapes_root):
    if 'voc' in name:
        return osp.join(voc_root, 'JPEGImages', '2007_000024.jpg')
    return osp.join(cityscapes_root, 'leftImg8bit/val/frankfurt',
                    'frankfurt_000000_000019_leftImg8bit.png')


@pytest.mark.parametrize('name', ROWS)
def test_inference_model_and_inferencer(tmp_path, name, tiny_weights,
                                        voc_root, cityscapes_root):
    weights = tiny_weights[19 if 'cityscapes' in name else 21]
    path = _image_path(name, voc_root, cityscapes_root)
    image = cv2.imread(path)
    model = init_model(_tiny_cfg(name), weights, device='cpu')
    for source in (path, image):  # a file path and an ndarray
        pred = inference_model(model, source).pred_sem_seg.data
        assert pred.shape[-2:] == image.shape[:2]  # padding/resizing undone
    inferencer = MMSegInferencer(model=_tiny_cfg(name), weights=weights,
                                 device='cpu')
    result = inferencer([path, image], out_dir=str(tmp_path))
    assert [p.shape for p in result['predictions']] == [image.shape[:2]] * 2
    pictures = sorted(os.listdir(tmp_path / 'vis'))
    assert len(pictures) == 2 and osp.basename(path) in pictures
    assert cv2.imread(str(tmp_path / 'vis' / osp.basename(path))).shape == \
        image.shape


def _test_views(cfg, pipeline, root):
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.data_root = root
    ds_cfg.pipeline = pipeline
    return DATASETS.build(ds_cfg)


@pytest.mark.parametrize('name,data', [
    (ROWS[0], 'voc_root'), (ROWS[2], 'cityscapes_root'),
    (ROWS[3], 'cityscapes_root')])
def test_tta_scores_the_same_label_pixels(request, name, data):
    """Every TTA view carries the plain test's label and evaluation size, so
    the TTA mIoU counts exactly the plain test's label pixels."""
    root = request.getfixturevalue(data)
    cfg = load_config(config(name))
    plain = _test_views(cfg, cfg.test_dataloader.dataset.pipeline, root)
    tta = _test_views(cfg, cfg.tta_pipeline, root)
    for i in range(len(plain)):
        expected = plain[i]['data_samples']
        views = tta[i]['data_samples']
        assert len(views) == 12  # 6 scales x 2 flips
        for view in views:
            assert view.metainfo['ori_shape'] == expected.metainfo['ori_shape']
            assert torch.equal(view.gt_sem_seg.data, expected.gt_sem_seg.data)
        scales = {v.metainfo['scale_factor'] for v in views}
        assert len(scales) == 6 and any(v.metainfo['flip'] for v in views)


@pytest.mark.slow
@pytest.mark.parametrize('name,data', [
    (ROWS[0], 'voc_root'), (ROWS[2], 'cityscapes_root')])
def test_tools_test_tta(request, tmp_path, name, data, tiny_weights):
    root = request.getfixturevalue(data)
    weights = tiny_weights[19 if 'cityscapes' in name else 21]
    proc = run_tool('tools/test.py', config(name), weights, '--tta',
                    '--work-dir', str(tmp_path), '--cfg-options',
                    *TINY_MODEL, *data_root_options(root, ('test', )),
                    'test_dataloader.num_workers=0',
                    'test_dataloader.persistent_workers=False')
    log = proc.stdout + proc.stderr
    assert re.search(r'Iter\(test\).*mIoU: [\d.]+', log)
    assert 'Load checkpoint from' in log


# --- checkpoints that do not fit, or cannot be read --------------------------

def test_wrong_class_count_is_refused_everywhere(tiny_weights):
    with pytest.raises(UserInputError) as err:
        init_model(_tiny_cfg(ROWS[1]), tiny_weights[19], device='cpu')
    msg = str(err.value)
    assert '19-class checkpoint for a 21-class config: use ' \
        'configs/fcn_r101_cityscapes_256x512.py' in msg
    assert 'decode_head.conv_seg.weight: file (19, 32, 1, 1) vs model ' \
        '(21, 32, 1, 1)' in msg
    assert 'model.strict_load=False' in msg and '\n' not in msg
    with pytest.raises(UserInputError, match='21-class checkpoint for a '
                       '19-class config: use configs/fcn_r101_voc_321.py'):
        MMSegInferencer(model=_tiny_cfg(ROWS[2]), weights=tiny_weights[21],
                        device='cpu')
    with pytest.raises(UserInputError, match='another model'):
        init_model(load_config(config(ROWS[1])), tiny_weights[21])  # R101


def test_fine_tuning_from_another_head_is_explicit(tiny_weights):
    cfg = _tiny_cfg(ROWS[1])
    cfg.model.strict_load = False
    model = init_model(cfg, tiny_weights[19], device='cpu')
    source = load_checkpoint_file(tiny_weights[19])['state_dict']
    state = model.state_dict()
    assert torch.equal(state['backbone.conv1.weight'],
                       source['backbone.conv1.weight'])  # what fits: loaded
    assert state['decode_head.conv_seg.weight'].shape[0] == 21  # kept


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.fixture(scope='module')
def bad_checkpoints(tmp_path_factory, tiny_weights):
    root = tmp_path_factory.mktemp('bad')
    good = open(tiny_weights[21], 'rb').read()
    (root / 'truncated.pth').write_bytes(good[:len(good) // 2])
    (root / 'notes.pth').write_text('this is not a checkpoint\n')
    torch.save({'state_dict': _RunsCode(root / 'EXECUTED')},
               root / 'code.pth')
    return root


@pytest.mark.slow
@pytest.mark.parametrize('kind,fragment', [
    ('cityscapes', '19-class checkpoint for a 21-class config'),
    ('truncated.pth', 'cannot read checkpoint'),
    ('notes.pth', 'cannot read checkpoint'),
    ('code.pth', 'holds pickled Python objects other than tensors'),
])
def test_bad_checkpoints_end_in_one_line(tmp_path, voc_root, tiny_weights,
                                        bad_checkpoints, kind, fragment):
    path = tiny_weights[19] if kind == 'cityscapes' else \
        str(bad_checkpoints / kind)
    options = ['--cfg-options', *TINY_MODEL]
    image = osp.join(voc_root, 'JPEGImages', '2007_000000.jpg')
    for tool in (
        ['tools/test.py', config(ROWS[1]), path, '--work-dir',
         str(tmp_path), *options, *data_root_options(voc_root, ('test', ))],
        ['tools/infer.py', config(ROWS[1]), path, image, '--out',
         str(tmp_path / 'out'), *options],
    ):
        proc = run_tool(*tool, check=False)
        assert proc.returncode == 1, proc.stderr[-3000:]
        errors = [line for line in proc.stderr.splitlines()
                  if line.startswith('error: ')]
        assert len(errors) == 1 and fragment in errors[0], proc.stderr[-3000:]
        if kind != 'cityscapes':
            assert path in errors[0]
        assert 'Traceback' not in proc.stderr
        assert 'Iter(test)' not in proc.stdout + proc.stderr  # not scored
    assert not (bad_checkpoints / 'EXECUTED').exists()
