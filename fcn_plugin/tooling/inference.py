"""Images in, pictures out: the image files a user names, and class-index
maps in colour, side by side."""
import os
import os.path as osp

import mmcv
import numpy as np

from ..errors import UserInputError

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def list_images(path, skipped=None):
    """``[path]`` for an image file, the sorted images of a folder.

    Only regular files with an image suffix are taken (a FIFO or a folder
    named ``x.jpg`` would hang or fail the reader); the names of everything
    else in the folder are appended to ``skipped`` when it is a list.
    """
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise UserInputError(f'{path} is neither an image file nor a folder')
    files, other = [], []
    for name in sorted(os.listdir(path)):
        full = osp.join(path, name)
        is_image = name.lower().endswith(IMAGE_SUFFIXES) and osp.isfile(full)
        (files if is_image else other).append(full)
    if skipped is not None:
        skipped.extend(other)
    if not files:
        raise UserInputError(f'no images ({", ".join(IMAGE_SUFFIXES)}) in '
                             f'{path}')
    return files


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
