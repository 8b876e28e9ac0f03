"""Label loading that names the bad file instead of failing deep inside.

Labels that are not single-channel 8-bit images (mmseg casts a 16-bit label
to uint8, so 259 silently becomes class 3, and an RGB label fails later in
``torch.stack``), labels of another size than their image and label values
that are not classes (other than 255) end as :class:`UserInputError` with the path and
what to do, rather than an ``AssertionError`` from mmcv or a CUDA
device-side assert from the loss hours later. (Files that cannot be decoded
at all are named by the datasets, see ``file_checks.py``.)
"""
import numpy as np
from mmseg.datasets.transforms import LoadAnnotations
from PIL import Image
from mmseg.registry import TRANSFORMS

from ...errors import UserInputError


# PIL modes of single-channel 8-bit images (P: VOC's palette PNGs)
CLASS_MAP_MODES = {'L': '8-bit gray', 'P': '8-bit palette', '1': '1-bit'}


def label_format_problem(path):
    """Why the label file ``path`` is not a single-channel 8-bit class map
    (``''`` if it is, or if its header cannot be read: the decoder then says
    why). Reads the header only."""
    try:
        with Image.open(path) as image:
            mode, bands = image.mode, len(image.getbands())
    except (OSError, ValueError):
        return ''
    if mode in CLASS_MAP_MODES:
        return ''
    kind = f'{bands}-channel ({mode})' if bands > 1 else f'{mode} (not 8-bit)'
    return (f'label {path} is a {kind} image; labels must be single-channel '
            '8-bit class indices (0..classes-1, 255 = ignore). Convert it '
            '(a 16-bit or colour label is not read as class indices).')


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
        problem = label_format_problem(path)
        if problem:
            raise UserInputError(problem)
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
