"""Pad the test image on the right/bottom to a fixed size (VOC: 505x505)."""
import mmcv
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PadImageForTest(BaseTransform):
    """The reference's VOC test padding, undone before scoring.

    The reference pads image (0) and label (255) to 505x505, upsamples the
    logits to 505x505 and scores against the padded label, whose padding is
    ignored. Here only the image is padded; ``img_padding_size`` tells mmseg's
    segmentor to crop the padding off the upsampled logits, which are then
    scored against the unpadded label: the same pixels, the same score.

    Modified keys: ``img``, ``img_shape``, ``pad_shape``;
    added: ``img_padding_size`` = (left, right, top, bottom).

    Args:
        size (tuple[int, int]): Target ``(h, w)``; larger images are unchanged.
        pad_val (int): Image padding value (0 before normalisation, as the
            reference pads the [0, 1] image with 0).
    """

    def __init__(self, size=(505, 505), pad_val=0):
        self.size = tuple(size)
        self.pad_val = pad_val

    def transform(self, results):
        img = results['img']
        h, w = img.shape[:2]
        target = (max(h, self.size[0]), max(w, self.size[1]))
        results['img'] = mmcv.impad(img, shape=target, pad_val=self.pad_val)
        results['img_shape'] = target
        results['pad_shape'] = target
        results['img_padding_size'] = [0, target[1] - w, 0, target[0] - h]
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(size={self.size})'
