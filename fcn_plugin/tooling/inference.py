"""Images in, pictures out: the image files a user names, read or named
as unreadable, and class-index maps in colour, side by side."""
import os
import os.path as osp

import mmcv
import numpy as np

from ..errors import UserInputError

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
# far beyond any segmentation dataset's frames (Cityscapes: 2 megapixels);
# a file claiming more is named before it is decoded (a 48 KB PNG of
# 20000x20000 decodes to 1.2 GB)
MAX_PIXELS = 50_000_000


def _quiet_opencv():
    """OpenCV prints its own WARN/ERROR lines for a file it cannot decode;
    the tools say it in their own words instead."""
    import cv2
    logging = getattr(getattr(cv2, 'utils', None), 'logging', None)
    if logging is not None:
        logging.setLogLevel(logging.LOG_LEVEL_SILENT)


def oversized(path):
    """``'W x H'`` when the header of ``path`` claims more than
    :data:`MAX_PIXELS` (read without decoding), else ``''``."""
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None  # this check is ours; nothing is decoded
    try:
        with Image.open(path) as img:
            width, height = img.size
    except Exception:  # noqa: BLE001 - not for PIL: the decoder will say
        return ''
    return f'{width}x{height}' if width * height > MAX_PIXELS else ''


def read_image(path):
    """``(BGR image, None)``, EXIF orientation applied (mmcv's ``imread``),
    or ``(None, why it is no image)`` without decoding what would not fit."""
    _quiet_opencv()
    try:
        if os.path.getsize(path) == 0:
            return None, 'an empty file (0 bytes)'
        size = oversized(path)
        if size:
            return None, (f'{size} pixels, beyond the {MAX_PIXELS:,} a frame '
                          'may have: not decoded')
        with open(path, 'rb') as f:
            image = mmcv.imfrombytes(f.read(), flag='color')
    except OSError as exc:
        return None, f'cannot be read ({exc.strerror})'
    except Exception as exc:  # noqa: BLE001 - OpenCV's cv2.error and kin
        return None, ('cannot be decoded as an image '
                      f'({str(exc).strip().splitlines()[-1][:80]})')
    if image is None:
        return None, 'cannot be decoded as an image (damaged, or not the ' \
            'format its name says)'
    return image, None


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
