"""The half-resolution copy of Cityscapes that ``tools/prepare_cityscapes.py``
writes inside the data root, and how the dataset finds it.

The reference halves every 1024x2048 image and label to 512x1024 before
anything else; decoding the 2048-wide PNG is 70 % of a training sample's
time. The copy stores exactly what the pipeline's ``Resize`` produces
(image bilinear, raw label ids nearest), as uncompressed BMP images (decoded
by OpenCV at memory speed) and fast PNG labels, beside the originals::

    half_resolution/leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.bmp
    half_resolution/gtFine/{train,val}/<city>/<name>_gtFine_labelIds.png
    half_resolution/leftImg8bit/{train,val}.done    # written last

The pipeline is unchanged: its ``Resize`` to 512x1024 leaves a 512x1024
image as it is, so samples are bitwise those of the originals.
"""
import os.path as osp

COPY_DIR = 'half_resolution'
IMG_SUFFIX = '_leftImg8bit.bmp'
LABEL_SUFFIX = '_gtFine_labelIds.png'


def copy_prefix(prefix):
    """``leftImg8bit/train`` -> ``half_resolution/leftImg8bit/train``."""
    return osp.join(COPY_DIR, prefix)


def done_marker(data_root, img_prefix):
    """The file that says the copy of one split is complete."""
    return osp.join(data_root, copy_prefix(img_prefix).rstrip('/') + '.done')


def copy_complete(data_root, img_prefix):
    """Whether the copy of the split in ``img_prefix`` is complete."""
    return osp.isfile(done_marker(data_root, img_prefix))
