"""Score predictions at a fixed resized size, as the reference does on Cityscapes."""
import mmcv
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EvaluateAtScale(BaseTransform):
    """Resize the label (nearest) to ``scale`` and score predictions there.

    The reference tests Cityscapes at 512x1024: image resized bilinearly,
    label resized with NEAREST, logits upsampled to 512x1024 and compared
    with that label. mmseg instead upsamples predictions to ``ori_shape``, so
    this sets ``ori_shape`` to ``scale`` and resizes ``gt_seg_map`` exactly as
    mmcv's ``Resize`` would (``mmcv.imresize``, nearest). Put it after the
    label is loaded. Under test-time augmentation it follows the label loading
    inside ``TestTimeAug``, so every view is scored against the same label.

    Without a label (``inference_model``, ``MMSegInferencer``) there is
    nothing to score: nothing changes and predictions come back at the input
    image's size.

    Modified keys: ``gt_seg_map`` ``(H, W)`` -> ``(scale[1], scale[0])``,
    ``ori_shape``.

    Args:
        scale (tuple[int, int]): ``(w, h)``, as mmcv's ``Resize``.
    """

    def __init__(self, scale):
        self.scale = tuple(scale)

    def transform(self, results):
        if results.get('gt_seg_map') is None:
            return results
        results['gt_seg_map'] = mmcv.imresize(
            results['gt_seg_map'], self.scale, interpolation='nearest')
        results['ori_shape'] = (self.scale[1], self.scale[0])
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(scale={self.scale})'
