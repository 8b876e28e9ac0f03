"""Data transforms that mmseg/mmcv lack, each reproducing one reference step."""
from .checked_loading import CheckedLoadAnnotations
from .cityscapes_label_id_map import CityscapesLabelIdMap
from .evaluate_at_scale import EvaluateAtScale
from .pad_image_for_test import PadImageForTest
from .random_scale import RandomScale
from .random_scale_crop import RandomScaleCrop

__all__ = [
    'CheckedLoadAnnotations', 'CityscapesLabelIdMap', 'EvaluateAtScale',
    'PadImageForTest', 'RandomScale', 'RandomScaleCrop'
]
