"""Label loading that names the bad file instead of failing deep inside.

Labels of another size than their image and label values that are not
classes (other than 255) end as :class:`UserInputError` with the path and
what to do, rather than an ``AssertionError`` from mmcv or a CUDA
device-side assert from the loss hours later. (Files that cannot be decoded
at all are named by the datasets, see ``file_checks.py``.)
"""
import numpy as np
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

from ...errors import UserInputError


@TRANSFORMS.register_module()
class CheckedLoadAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` plus size and value checks.

    Without a label (``seg_map_path`` absent or None: mmseg's inference APIs)
    it does nothing, so test pipelines serve both scoring and inference.

    Args:
        num_classes (int, optional): When set, every label value must be in
            ``[0, num_classes)`` or ``ignore_index``.
        ignore_index (int): Default 255.
        **kwargs: As :class:`mmseg.datasets.transforms.LoadAnnotations`.
    """

    def __init__(self, num_classes=None, ignore_index=255, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def transform(self, results):
        path = results.get('seg_map_path')
        if path is None:
            return results
        results = super().transform(results)
        seg = results['gt_seg_map']
        # ori_shape: the image as read, also when a Resize came before
        img_shape = results.get('ori_shape')
        if img_shape is not None and seg.shape[:2] != tuple(img_shape[:2]):
            raise UserInputError(
                f'label {path} is {seg.shape[1]}x{seg.shape[0]} but its image '
                f'{results.get("img_path")} is {img_shape[1]}x{img_shape[0]} '
                '(WxH); they must match.')
        if self.num_classes is not None:
            values = np.unique(seg)
            bad = values[(values >= self.num_classes)
                         & (values != self.ignore_index)]
            if bad.size:
                raise UserInputError(
                    f'label {path} holds values {bad.tolist()[:10]} outside '
                    f'the {self.num_classes} classes (0..'
                    f'{self.num_classes - 1}, {self.ignore_index} = ignore). '
                    'Is it a colour (RGB) label instead of class indices?')
        return results
