"""Pictures of predictions: class-index maps in colour, side by side."""
import mmcv
import numpy as np


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
