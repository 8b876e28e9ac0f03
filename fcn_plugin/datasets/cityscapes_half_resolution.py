"""The half-resolution copy of Cityscapes that ``tools/prepare_cityscapes.py``
writes inside the data root, and how the dataset finds it.

The reference halves every 1024x2048 image and label to 512x1024 before
anything else; decoding the 2048-wide PNG is 70 % of a training sample's
time. The copy stores exactly what the pipeline's ``Resize`` produces
(image bilinear, raw label ids nearest), as uncompressed BMP files beside
the originals: images and labels both decode at memory speed (a 512x1024
label: 0.16 ms as 8-bit BMP, 0.64 ms as PNG)::

    half_resolution/leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.bmp
    half_resolution/gtFine/{train,val}/<city>/<name>_gtFine_labelIds.bmp
    half_resolution/leftImg8bit/{train,val}.done    # written last

The pipeline is unchanged: its ``Resize`` to 512x1024 leaves a 512x1024
image as it is, so samples are bitwise those of the originals.

The ``.done`` marker records a fingerprint of the split's originals (every
file's name, size and modification time): a copy made before originals were
added, removed or changed is stale, and the dataset refuses it with the fix
instead of training on old data. So is a copy whose marker names other file
suffixes (made by an earlier version, with PNG labels).
"""
import glob
import hashlib
import json
import os
import os.path as osp

COPY_DIR = 'half_resolution'
IMG_SUFFIX = '_leftImg8bit.bmp'
LABEL_SUFFIX = '_gtFine_labelIds.png'  # the originals' raw label ids
COPY_LABEL_SUFFIX = '_gtFine_labelIds.bmp'


def copy_prefix(prefix):
    """``leftImg8bit/train`` -> ``half_resolution/leftImg8bit/train``."""
    return osp.join(COPY_DIR, prefix)


def done_marker(data_root, img_prefix):
    """The file that says the copy of one split is complete."""
    return osp.join(data_root, copy_prefix(img_prefix).rstrip('/') + '.done')


def originals_fingerprint(data_root, img_prefix):
    """sha1 of the name, size and mtime of every original image and raw
    label of the split in ``img_prefix`` (``leftImg8bit/<split>``)."""
    split = osp.basename(img_prefix.rstrip('/'))
    digest = hashlib.sha1()
    for folder, pattern in (('leftImg8bit', '*_leftImg8bit.png'),
                            ('gtFine', '*' + LABEL_SUFFIX)):
        for path in sorted(glob.glob(osp.join(data_root, folder, split, '*',
                                              pattern))):
            stat = os.stat(path)
            digest.update(f'{osp.relpath(path, data_root)} {stat.st_size} '
                          f'{stat.st_mtime_ns}\n'.encode())
    return digest.hexdigest()


def marker_record(data_root, img_prefix):
    """What the ``.done`` marker of a current copy records: the originals'
    fingerprint and the file suffixes this version writes."""
    return dict(originals=originals_fingerprint(data_root, img_prefix),
                image=IMG_SUFFIX, label=COPY_LABEL_SUFFIX)


def copy_state(data_root, img_prefix):
    """``'complete'``, ``'absent'`` or ``'stale'`` (originals changed since
    the copy of the split in ``img_prefix`` was marked complete, or the copy
    has other file suffixes than this version writes)."""
    marker = done_marker(data_root, img_prefix)
    if not osp.isfile(marker):
        return 'absent'
    current = marker_record(data_root, img_prefix)
    try:
        with open(marker) as f:
            recorded = json.load(f)
        recorded = {key: recorded.get(key) for key in current}
    except (OSError, ValueError, AttributeError):
        recorded = None
    return 'complete' if recorded == current else 'stale'
