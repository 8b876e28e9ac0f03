"""Random rescale by one factor for both sides, the reference's way.

The reference draws ``scale ~ U(0.5, 1.5)`` per sample and resizes to
``(int(scale * h), int(scale * w))`` - image bilinear, label nearest.
mmcv's ``RandomResize`` scales a fixed target size instead of the image's own
size (and rounds), so it cannot express this.

Deviation: the reference interpolates a float tensor in [0, 1]; here the
uint8 image is interpolated by OpenCV (same bilinear half-pixel sampling), so
pixels can differ by rounding (< 1/255).
"""
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomScale(BaseTransform):
    """Resize image and segmentation maps by a factor drawn from ``ratio_range``.

    Required keys: ``img``; modified: ``img``, ``img_shape``, ``scale_factor``
    and every map in ``seg_fields`` (``gt_seg_map``).

    Args:
        ratio_range (tuple[float, float]): Bounds of the uniform factor.
    """

    def __init__(self, ratio_range=(0.5, 1.5)):
        low, high = ratio_range
        assert 0 < low <= high, f'invalid ratio_range {ratio_range}'
        self.ratio_range = (low, high)

    def transform(self, results):
        scale = np.random.uniform(*self.ratio_range)
        h, w = results['img'].shape[:2]
        new_h, new_w = int(scale * h), int(scale * w)
        results['img'] = mmcv.imresize(
            results['img'], (new_w, new_h), interpolation='bilinear')
        for key in results.get('seg_fields', []):
            results[key] = mmcv.imresize(
                results[key], (new_w, new_h), interpolation='nearest')
        previous = results.get('scale_factor', (1.0, 1.0))
        results['scale_factor'] = (previous[0] * new_w / w,
                                   previous[1] * new_h / h)
        results['img_shape'] = (new_h, new_w)
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(ratio_range={self.ratio_range})'
