"""Label loading that names the bad file instead of failing deep inside.

Labels that are not single-channel 8-bit images (mmseg casts a 16-bit label
to uint8, so 259 silently becomes class 3, and an RGB label fails later in
``torch.stack``), labels of another size than their image and label values
that are not classes (other than 255) end as :class:`UserInputError` with the path and
what to do, rather than an ``AssertionError`` from mmcv or a CUDA
device-side assert from the loss hours later. (Files that cannot be decoded
at all are named by the datasets, see ``file_checks.py``.)

Speed, same values: a label whose header proves it a plain 8-bit grayscale
map (PNG of 8-bit gray; BMP of 8 bits per pixel with the identity gray
palette, as the half-resolution Cityscapes copy writes) is decoded by
OpenCV, 2-4x faster than Pillow and to the same indices. Every other label
(VOC's palette PNGs among them, where OpenCV would return the palette's
colours) is decoded by the configured ``imdecode_backend`` (mmseg's
default: Pillow).
"""
import contextlib

import numpy as np
from mmseg.datasets.transforms import LoadAnnotations
from PIL import Image
from mmseg.registry import TRANSFORMS

from ...errors import UserInputError


# PIL modes of single-channel 8-bit images (P: VOC's palette PNGs)
CLASS_MAP_MODES = {'L': '8-bit gray', 'P': '8-bit palette', '1': '1-bit'}
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


_UNREAD = object()


def label_format_problem(path, header=_UNREAD):
    """Why the label file ``path`` is not a single-channel 8-bit class map
    (``''`` if it is, or if its header cannot be read: the decoder then says
    why). Reads the header only: PNG and BMP class maps are recognised from
    their first bytes (:func:`class_map_header`; Pillow parses a BMP's
    whole palette: 0.3 ms a label); anything else, or any doubt, goes to
    Pillow, which names the problem."""
    if header is _UNREAD:
        header = class_map_header(path)
    if header is not None:
        return ''
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


def class_map_header(path):
    """What the header of ``path`` proves: ``'gray8'`` (a plain 8-bit
    grayscale map: OpenCV and Pillow decode the same indices), ``'indexed'``
    (another single-channel class map: palette, or under 8 bits), or
    ``None`` (not a PNG or BMP class map, or it cannot tell)."""
    try:
        with open(path, 'rb') as f:
            head = f.read(14 + 124 + 1024)  # the largest BMP header, palette
    except OSError:
        return None
    if head[:8] == PNG_SIGNATURE and head[12:16] == b'IHDR' and \
            len(head) >= 26:
        depth, colour = head[24], head[25]
        if depth == 8 and colour == 0:
            return 'gray8'
        return 'indexed' if depth < 8 and colour == 0 or colour == 3 and \
            depth <= 8 else None
    if head[:2] == b'BM' and len(head) >= 30:
        header_size = int.from_bytes(head[14:18], 'little')
        at = 24 if header_size == 12 else 28  # OS/2 core header, or later
        bits = int.from_bytes(head[at:at + 2], 'little')
        if bits not in (1, 2, 4, 8):
            return None
        if bits == 8 and header_size >= 40 and len(head) >= 54:
            compression = int.from_bytes(head[30:34], 'little')
            colours = int.from_bytes(head[46:50], 'little') or 256
            palette = head[14 + header_size:14 + header_size + 1024]
            ramp = bytes(range(256))  # entry i is (i, i, i): identity gray
            if compression == 0 and colours == 256 and \
                    palette[0::4] == palette[1::4] == palette[2::4] == ramp:
                return 'gray8'
        return 'indexed'
    return None


@TRANSFORMS.register_module()
class CheckedLoadAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` plus size and value checks.

    Without a label (``seg_map_path`` absent or None: mmseg's inference APIs)
    it does nothing, so test pipelines serve both scoring and inference.
    Plain 8-bit grayscale labels are decoded by OpenCV (module docstring).

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
        header = class_map_header(path)
        problem = label_format_problem(path, header)
        if problem:
            raise UserInputError(problem)
        with self._decoder('cv2' if header == 'gray8' else None):
            results = super().transform(results)
        seg = results['gt_seg_map']
        if seg.ndim < 2:  # mmseg squeezes the decoded map: 1xW, Hx1, 1x1
            with Image.open(path) as image:
                width, height = image.size
            seg = results['gt_seg_map'] = seg.reshape(height, width)
        if seg.ndim == 3:
            raise UserInputError(
                f'label {path} decodes to {seg.shape[-1]} channels with '
                f'imdecode_backend={self.imdecode_backend!r} (a palette '
                "label through OpenCV gives its colours): use 'pillow', "
                "mmseg's default, or convert it to 8-bit grayscale.")
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

    @contextlib.contextmanager
    def _decoder(self, backend):
        """mmseg's loader decodes with ``self.imdecode_backend``: this one
        label with ``backend`` instead (``None``: the configured one)."""
        configured = self.imdecode_backend
        self.imdecode_backend = backend or configured
        try:
            yield
        finally:
            self.imdecode_backend = configured
