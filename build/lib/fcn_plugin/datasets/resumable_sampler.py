"""A sampler whose position can be set without loading a sample, and whose
samples carry their own random seed.

mmengine resumes an iteration-based run by loading, transforming and
discarding every batch already trained (mmseg #3669, #3671: "resume hangs"),
and a resumed run repeats the augmentations only if the worker processes'
random streams are replayed too. Here each sample's augmentation randomness
comes from ``(seed, epoch, index)`` instead (``SeededSamplesMixin``), so a
position is all a resume needs: :meth:`ResumableSampler.seek`. That also
makes a run's samples the same whatever ``num_workers`` is.
"""
from collections import namedtuple
from itertools import islice

from mmengine.dataset import DefaultSampler
from mmengine.registry import DATA_SAMPLERS

SampleKey = namedtuple('SampleKey', ['seed', 'epoch', 'index'])
SampleKey.__doc__ = 'What the sampler yields: a dataset index and its seed.'


@DATA_SAMPLERS.register_module()
class ResumableSampler(DefaultSampler):
    """mmengine's ``DefaultSampler`` order; yields :class:`SampleKey`.

    The order is DefaultSampler's exactly (reshuffled every epoch from
    ``seed + epoch``, padded to a multiple of the world size, one slice per
    rank): the reference's random order without ``drop_last``.

    Args:
        **kwargs: As :class:`mmengine.dataset.DefaultSampler`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._skip = 0

    def seek(self, epoch, skip):
        """Make the next iteration start at sample ``skip`` of ``epoch``."""
        self.set_epoch(epoch)
        self._skip = skip

    def __iter__(self):
        skip, self._skip = self._skip, 0
        epoch = self.epoch
        for index in islice(super().__iter__(), skip, None):
            yield SampleKey(self.seed, epoch, index)
