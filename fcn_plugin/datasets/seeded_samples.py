"""Each training sample's augmentations drawn from its own seed.

With :class:`~fcn_plugin.datasets.resumable_sampler.ResumableSampler` the
dataset receives ``SampleKey(seed, epoch, index)`` instead of an index. The
pipeline then runs with Python's, NumPy's and torch's global generators
seeded from that key, and the caller's generator states are restored
afterwards: a sample is the same in every worker, after every resume and
for any ``num_workers``, and loading never disturbs the main process's
random stream (dropout). Only torch's CPU generator is seeded: data
transforms run on the CPU, and ``torch.manual_seed`` would also reseed every
GPU's generator (never restored) and, through CUDA's lazy initialisation,
record a stack trace per call: 1.3 ms a sample. Plain integer indices
(validation, other samplers) behave exactly as in mmengine.
"""
import contextlib
import random

import numpy as np
import torch

from .resumable_sampler import SampleKey


@contextlib.contextmanager
def seeded_generators(key):
    """Seed Python/NumPy/torch from ``key`` in the block; restore after."""
    words = np.random.SeedSequence(list(key)).generate_state(2)
    saved = random.getstate(), np.random.get_state(), torch.get_rng_state()
    random.seed(int(words[1]))
    np.random.seed(int(words[0]))
    torch.default_generator.manual_seed((int(words[0]) << 32) | int(words[1]))
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])


class SeededSamplesMixin:
    """Mixin for ``BaseDataset`` subclasses: ``dataset[SampleKey(...)]``."""

    def __getitem__(self, idx):
        if isinstance(idx, SampleKey):
            with seeded_generators(idx):
                return super().__getitem__(idx.index)
        return super().__getitem__(idx)
