"""Cityscapes read straight from the official download (raw label ids).

Layout under ``data_root`` (default ``data/cityscapes``)::

    leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png
    gtFine/{train,val}/<city>/<name>_gtFine_labelIds.png

Unlike mmseg's ``CityscapesDataset`` (which needs ``*_labelTrainIds.png``
made by a conversion script), labels are the raw ``*_labelIds.png`` and the
pipeline's ``CityscapesLabelIdMap`` maps them to the 19 train ids on the fly,
as the reference does. Set ``seg_map_suffix='_gtFine_labelTrainIds.png'`` to
use converted labels instead; the map then leaves them unchanged.

Once ``tools/prepare_cityscapes.py`` has written the half-resolution copy of
a split (``cityscapes_half_resolution.py``), that split is read from it, ~20x
faster, with the same samples; ``half_resolution_copy=False`` reads the
originals.
"""
import os.path as osp

from mmengine.logging import print_log
from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS

from ..errors import UserInputError
from . import cityscapes_half_resolution as half
from .file_checks import CheckedFileListMixin
from .seeded_samples import SeededSamplesMixin


@DATASETS.register_module()
class CityscapesLabelIdDataset(SeededSamplesMixin, CheckedFileListMixin,
                               CityscapesDataset):
    """Cityscapes fine annotations, 19 classes, with raw label-id files.

    Args:
        data_root (str): The dataset folder.
        seg_map_suffix (str): Label file suffix (raw ids by default).
        half_resolution_copy (bool): Read the split from the copy made by
            ``tools/prepare_cityscapes.py`` when it is complete (default).
        **kwargs: As :class:`mmseg.datasets.CityscapesDataset`.
    """

    prepare_hint = ('Unpack leftImg8bit_trainvaltest.zip and '
                    'gtFine_trainvaltest.zip there; no conversion is needed.')

    def __init__(self,
                 data_root='data/cityscapes',
                 seg_map_suffix='_gtFine_labelIds.png',
                 half_resolution_copy=True,
                 **kwargs):
        prefix = kwargs.get('data_prefix', {})
        state = half.copy_state(data_root, prefix['img_path']) if (
            half_resolution_copy and seg_map_suffix == half.LABEL_SUFFIX
            and prefix.get('img_path')) else 'absent'
        if state == 'stale':
            raise UserInputError(
                f'{type(self).__name__}: the half-resolution copy of '
                f'{osp.join(data_root, prefix["img_path"])} is stale: '
                'originals were added, removed or changed after '
                'tools/prepare_cityscapes.py made it, or an earlier version '
                'made it in another format. Run it again '
                f'(python tools/prepare_cityscapes.py {data_root}), or read '
                'the originals: --cfg-options '
                'train_dataloader.dataset.half_resolution_copy=False '
                'val_dataloader.dataset.half_resolution_copy=False')
        if state == 'complete':
            kwargs['data_prefix'] = {k: half.copy_prefix(v)
                                     for k, v in prefix.items()}
            kwargs['img_suffix'] = half.IMG_SUFFIX
            seg_map_suffix = half.COPY_LABEL_SUFFIX
            print_log(
                f'{type(self).__name__}: reading the half-resolution copy '
                f'{osp.join(data_root, kwargs["data_prefix"]["img_path"])} '
                '(tools/prepare_cityscapes.py; the originals with '
                'half_resolution_copy=False)', logger='current')
        super().__init__(
            data_root=data_root, seg_map_suffix=seg_map_suffix, **kwargs)
