"""tools/infer.py's overlay is mmseg's: the same palette (the model's VOC
one), opacity and blend as ``SegLocalVisualizer`` draws a prediction
(without class names), checked against the visualizer itself, pixel for
pixel, in memory and on the files infer.py writes;
--labels is the visualizer's own drawing; --no-overlay writes class maps
only; the device default picks a GPU when there is one."""
import os

import cv2
import numpy as np
import pytest
import torch
from conftest import TINY_MODEL, config, run_tool

from fcn_plugin.tooling.streaming_inference import overlay, palette_table


def _mmseg_drawing(image_bgr, class_map, palette, classes, opacity,
                   labels=False):
    """What mmseg's visualizer draws for ``class_map`` (BGR back): its
    ``_draw_sem_seg`` itself without labels (``get_image`` renders that
    through matplotlib, which with some versions shifts it by a pixel);
    with labels, the picture ``get_image`` renders, as mmseg writes it."""
    import fcn_plugin  # noqa: F401
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    from mmseg.visualization import SegLocalVisualizer
    visualizer = SegLocalVisualizer(name=f'check{np.random.rand()}',
                                    alpha=opacity)
    visualizer.dataset_meta = dict(classes=classes, palette=palette)
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=torch.from_numpy(
        class_map.astype(np.int64))[None])
    image = image_bgr[..., ::-1].copy()
    if not labels:
        return visualizer._draw_sem_seg(image, sample.pred_sem_seg, classes,
                                        palette, with_labels=False)[..., ::-1]
    visualizer.add_datasample('x', image, sample, draw_gt=False,
                              draw_pred=True, with_labels=True)
    return visualizer.get_image()[..., ::-1]


@pytest.mark.parametrize('opacity', [0.5, 0.3, 0.85])
def test_overlay_is_the_visualizers_drawing(opacity):
    from fcn_plugin.datasets.voc_trainaug import VOCTrainAugDataset
    meta = VOCTrainAugDataset.METAINFO
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (97, 131, 3), np.uint8)
    class_map = rng.integers(0, 21, (97, 131)).astype(np.uint8)
    class_map[:10] = 255  # ignored pixels: no class, blended with black
    expected = _mmseg_drawing(image, class_map, meta['palette'],
                              meta['classes'], opacity)
    table = palette_table([tuple(c)[::-1] for c in meta['palette']])
    ours = overlay(image, class_map, table, opacity)
    assert np.array_equal(ours, expected)


@pytest.mark.slow
def test_infer_overlays_no_overlay_labels_and_device(tmp_path, voc_root,
                                                     tiny_checkpoint):
    from fcn_plugin.datasets.voc_trainaug import VOCTrainAugDataset
    meta = VOCTrainAugDataset.METAINFO
    photos = tmp_path / 'photos'
    photos.mkdir()
    names = sorted(os.listdir(os.path.join(voc_root, 'JPEGImages')))[:2]
    for name in names:  # PNG copies: the overlays are stored losslessly
        image = cv2.imread(os.path.join(voc_root, 'JPEGImages', name))
        cv2.imwrite(str(photos / name.replace('.jpg', '.png')), image)
    common = [config('fcn_r101_voc_321.py'), tiny_checkpoint, str(photos)]
    done = run_tool('tools/infer.py', *common, '--out', str(tmp_path / 'a'),
                    '--opacity', '0.4', '--cfg-options', *TINY_MODEL)
    assert done.stdout.splitlines()[0].startswith('device: cpu (')
    for path in sorted(photos.iterdir()):
        image = cv2.imread(str(path))
        class_map = cv2.imread(str(tmp_path / 'a/pred' / f'{path.name}.png'),
                               cv2.IMREAD_UNCHANGED)
        written = cv2.imread(str(tmp_path / 'a/vis' / path.name))
        expected = _mmseg_drawing(image, class_map, meta['palette'],
                                  meta['classes'], 0.4)
        assert np.array_equal(written, expected)
    maps_only = run_tool('tools/infer.py', *common, '--out',
                         str(tmp_path / 'b'), '--no-overlay', '--cfg-options',
                         *TINY_MODEL)
    assert not (tmp_path / 'b' / 'vis').exists()
    assert f'wrote 2 class-index maps' in maps_only.stdout
    for name in os.listdir(tmp_path / 'a' / 'pred'):
        assert (tmp_path / 'b/pred' / name).read_bytes() == \
            (tmp_path / 'a/pred' / name).read_bytes()
    run_tool('tools/infer.py', *common, '--out', str(tmp_path / 'c'),
             '--labels', '--cfg-options', *TINY_MODEL)
    for path in sorted(photos.iterdir()):  # the visualizer, names drawn
        class_map = cv2.imread(str(tmp_path / 'c/pred' / f'{path.name}.png'),
                               cv2.IMREAD_UNCHANGED)
        expected = _mmseg_drawing(cv2.imread(str(path)), class_map,
                                  meta['palette'], meta['classes'], 0.5,
                                  labels=True)
        assert np.array_equal(cv2.imread(str(tmp_path / 'c/vis' / path.name)),
                              expected)
    helped = run_tool('tools/infer.py', '--help').stdout
    assert 'default: cuda when a GPU is present, else cpu' in ' '.join(
        helped.split())
