"""Random rescale by one factor for both sides, the reference's way.

The reference draws ``scale ~ U(0.5, 1.5)`` per sample and resizes to
``(int(scale * h), int(scale * w))`` - image bilinear, label nearest.
mmcv's ``RandomResize`` scales a fixed target size instead of the image's own
size (and rounds), so it cannot express this.

Labels are resized with the reference's exact nearest neighbour, torch's
``F.interpolate(mode='nearest')``: source index ``floor(i * (in / out))``
computed in float32 (:func:`torch_nearest_indices`). OpenCV's nearest works
in double precision and picks the neighbouring row or column wherever
``i * in / out`` is an exact integer. Index arrays: no float round trip;
rows are taken first, then columns (``np.take`` twice is 4-6x faster than
one 2-D fancy index, the same pixels).

Deviation: the reference interpolates a float tensor in [0, 1]; here the
uint8 image is interpolated by OpenCV (same bilinear half-pixel sampling), so
pixels differ by rounding, at most about 1 uint8 unit (measured 0.79).
"""
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


def torch_nearest_indices(in_size, out_size):
    """Source indices of torch's ``F.interpolate(size=..., mode='nearest')``
    along one axis (its CPU and CUDA kernels: ``min(floor(i * s), in - 1)``
    with the float32 scale ``s = in / out``)."""
    if out_size == in_size:
        return np.arange(out_size)
    scale = np.float32(in_size) / np.float32(out_size)
    index = np.floor(np.arange(out_size, dtype=np.float32) * scale)
    return np.minimum(index.astype(np.int64), in_size - 1)


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
        h, w = results['img'].shape[:2]
        new_h, new_w = self.scaled_size(h, w)
        return self.resize(results, new_h, new_w, (0, new_h, 0, new_w))

    def scaled_size(self, h, w):
        """Draw the factor; the new ``(height, width)``, at least 1 pixel
        each (the reference's ``int`` gives 0 for a side under 2 pixels
        scaled below 1, and its resize then fails: the only difference)."""
        scale = np.random.uniform(*self.ratio_range)
        return max(1, int(scale * h)), max(1, int(scale * w))

    @staticmethod
    def resize(results, new_h, new_w, window):
        """Resize to ``new_h x new_w`` and keep ``window = (y1, y2, x1,
        x2)`` of it (clipped to it): the image is resized whole, then cut;
        label maps are gathered inside the window only."""
        y1, y2, x1, x2 = window
        h, w = results['img'].shape[:2]
        results['img'] = mmcv.imresize(
            results['img'], (new_w, new_h),
            interpolation='bilinear')[y1:y2, x1:x2]
        rows = torch_nearest_indices(h, new_h)[y1:y2]
        cols = torch_nearest_indices(w, new_w)[x1:x2]
        for key in results.get('seg_fields', []):
            results[key] = np.take(np.take(results[key], rows, axis=0),
                                   cols, axis=1)
        previous = results.get('scale_factor', (1.0, 1.0))
        results['scale_factor'] = (previous[0] * new_w / w,
                                   previous[1] * new_h / h)
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(ratio_range={self.ratio_range})'
