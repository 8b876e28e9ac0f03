from . import transforms  # noqa: F401  (registers the transforms)
from .cityscapes_label_ids import CityscapesLabelIdDataset
from .resumable_sampler import ResumableSampler, SampleKey
from .voc_trainaug import VOCTrainAugDataset

__all__ = [
    'CityscapesLabelIdDataset', 'ResumableSampler', 'SampleKey',
    'VOCTrainAugDataset'
]
