"""Cityscapes read straight from the official download (raw label ids).

Layout under ``data_root`` (default ``data/cityscapes``)::

    leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png
    gtFine/{train,val}/<city>/<name>_gtFine_labelIds.png

Unlike mmseg's ``CityscapesDataset`` (which needs ``*_labelTrainIds.png``
made by a conversion script), labels are the raw ``*_labelIds.png`` and the
pipeline's ``CityscapesLabelIdMap`` maps them to the 19 train ids on the fly,
as the reference does. Set ``seg_map_suffix='_gtFine_labelTrainIds.png'`` to
use converted labels instead; the map then leaves them unchanged.
"""
from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS

from .file_checks import CheckedFileListMixin


@DATASETS.register_module()
class CityscapesLabelIdDataset(CheckedFileListMixin, CityscapesDataset):
    """Cityscapes fine annotations, 19 classes, with raw label-id files."""

    prepare_hint = ('Unpack leftImg8bit_trainvaltest.zip and '
                    'gtFine_trainvaltest.zip there; no conversion is needed.')

    def __init__(self,
                 data_root='data/cityscapes',
                 seg_map_suffix='_gtFine_labelIds.png',
                 **kwargs):
        super().__init__(
            data_root=data_root, seg_map_suffix=seg_map_suffix, **kwargs)
