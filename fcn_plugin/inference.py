"""Predict on image files with a config's test pipeline minus its label steps.

mmseg's ``inference_model`` and ``MMSegInferencer`` look for the stock
``LoadImageFromFile`` / ``LoadAnnotations`` names and would run our
label-only steps (``CityscapesLabelIdMap``, ...) on images without labels.
"""
import mmcv
import numpy as np
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate

LABEL_STEPS = ('LoadAnnotations', 'CheckedLoadAnnotations',
               'CityscapesLabelIdMap', 'EvaluateAtResizedShape')


def build_inference_pipeline(cfg):
    """The test pipeline of ``cfg`` without the steps that need a label."""
    steps = [dict(step) for step in cfg.test_dataloader.dataset.pipeline
             if step['type'] not in LABEL_STEPS]
    return Compose(steps)


def predict_file(model, pipeline, path):
    """Return the ``SegDataSample`` (``pred_sem_seg`` at the image's size)."""
    data = pipeline(dict(img_path=path))
    return model.test_step(pseudo_collate([data]))[0]


def colorize(label, palette):
    """Map a class-index map ``(H, W)`` to RGB; ignored pixels (255) white."""
    palette = np.asarray(palette, np.uint8)
    rgb = np.full((*label.shape, 3), 255, np.uint8)
    valid = label < len(palette)
    rgb[valid] = palette[label[valid]]
    return rgb


def side_by_side(path, gt, pred, palette, gap=4):
    """image | ground truth | prediction, RGB uint8, one row."""
    img = mmcv.imread(path, channel_order='rgb')
    parts = [img, colorize(gt, palette), colorize(pred, palette)]
    spacer = np.full((img.shape[0], gap, 3), 255, np.uint8)
    row = []
    for part in parts:
        row += [part, spacer]
    return np.concatenate(row[:-1], axis=1)
