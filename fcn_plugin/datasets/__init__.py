from . import transforms  # noqa: F401  (registers the transforms)
from .cityscapes_label_ids import CityscapesLabelIdDataset
from .voc_trainaug import VOCTrainAugDataset

__all__ = ['CityscapesLabelIdDataset', 'VOCTrainAugDataset']
