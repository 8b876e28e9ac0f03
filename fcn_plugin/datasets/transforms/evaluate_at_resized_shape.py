"""Score predictions at the resized test size, as the reference does on Cityscapes."""
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EvaluateAtResizedShape(BaseTransform):
    """Make the current image size the size predictions are scored at.

    The reference tests Cityscapes at 512x1024: image resized bilinearly,
    label resized with NEAREST, logits upsampled to 512x1024 and compared
    with that label. mmseg instead upsamples predictions to ``ori_shape``. Put
    this after ``LoadAnnotations`` and ``Resize`` so that ``ori_shape``
    becomes the resized shape and the label is the resized one.

    Modified key: ``ori_shape`` (set to ``img_shape``).
    """

    def transform(self, results):
        results['ori_shape'] = tuple(results['img_shape'][:2])
        return results
