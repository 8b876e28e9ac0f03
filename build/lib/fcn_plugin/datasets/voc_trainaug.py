"""PASCAL VOC 2012 "trainaug" (VOC train + SBD, 10,582 images) and val.

The reference layout under ``data_root`` (mmseg's default
``data/VOCdevkit/VOC2012``)::

    JPEGImages/<id>.jpg
    SegmentationClassAug/<id>.png     # class indices 0..20, 255 = ignore
    ImageSets/Segmentation/{trainaug,val}.txt

mmseg's own aug layout (``tools/dataset_converters/voc_aug.py``) keeps the
labels of VOC-train images that SBD lacks in ``SegmentationClass`` (palette
PNGs, read as indices): a label missing from the first folder of
``seg_map_dirs`` is looked up in the next, so both layouts work unchanged.
"""
import os.path as osp

from mmseg.datasets import PascalVOCDataset
from mmseg.registry import DATASETS

from ..errors import UserInputError
from .file_checks import CheckedFileListMixin
from .seeded_samples import SeededSamplesMixin


@DATASETS.register_module()
class VOCTrainAugDataset(SeededSamplesMixin, CheckedFileListMixin,
                         PascalVOCDataset):
    """VOC 2012 with SBD-augmented labels (21 classes, 255 ignored).

    Args:
        ann_file (str): Split file, relative to ``data_root``.
        seg_map_dirs (tuple[str]): Label folders, searched in order.
        **kwargs: As :class:`PascalVOCDataset`.
    """

    prepare_hint = ('Build it with: python tools/prepare_voc_aug.py '
                    'VOCdevkit/ SBD/benchmark_RELEASE (see README, Data).')

    def __init__(self,
                 data_root='data/VOCdevkit/VOC2012',
                 ann_file='ImageSets/Segmentation/trainaug.txt',
                 seg_map_dirs=('SegmentationClassAug', 'SegmentationClass'),
                 **kwargs):
        self.seg_map_dirs = tuple(seg_map_dirs)
        kwargs.setdefault(
            'data_prefix',
            dict(img_path='JPEGImages', seg_map_path=self.seg_map_dirs[0]))
        try:
            super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)
        except AssertionError:  # PascalVOCDataset's bare folder assertion
            problem = self.folder_problem()
            if problem:
                raise UserInputError(problem) from None
            raise

    def locate_files(self, data_list):
        """Use the first of ``seg_map_dirs`` that holds each label."""
        for info in data_list:
            if osp.isfile(info['seg_map_path']):
                continue
            name = osp.basename(info['seg_map_path'])
            for folder in self.seg_map_dirs[1:]:
                candidate = osp.join(self.data_root, folder, name)
                if osp.isfile(candidate):
                    info['seg_map_path'] = candidate
                    break
        return data_list
