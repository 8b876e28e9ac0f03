"""Save the Python, NumPy and torch RNG states in checkpoints; restore on resume.

mmengine 0.10.7 checkpoints hold no RNG state, so a resumed run draws
different dropout masks than an uninterrupted one. With this hook, a fixed
``randomness.seed`` and the datasets' ``ResumableSampler`` (every sample
augmented from its own seed), a resumed run ends with the same weights as an
uninterrupted one, whatever ``num_workers`` is.

NumPy's MT19937 key (624 uint32) is stored as an int64 tensor: torch < 2.3
has no uint32 tensors, and int64 holds every uint32 value exactly, so a
checkpoint written under any supported torch resumes under any other.
"""
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Adds ``checkpoint['random_state']`` and restores it in ``--resume``."""

    priority = 'LOW'

    def before_save_checkpoint(self, runner, checkpoint):
        np_state = np.random.get_state()
        state = dict(
            python=random.getstate(),
            numpy=(np_state[0],
                   torch.from_numpy(np_state[1].astype(np.int64)),
                   *np_state[2:]),
            torch=torch.get_rng_state())
        if torch.cuda.is_available():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['random_state'] = state

    def after_load_checkpoint(self, runner, checkpoint):
        # Also called by load_from / tools/test.py, where the random states
        # of the training run mean nothing: only a resume restores them.
        state = checkpoint.get('random_state')
        if state is None or not getattr(runner, '_resume', False):
            return
        random.setstate(state['python'])
        name, keys, *rest = state['numpy']
        np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
        runner.logger.info('Restored Python/NumPy/torch random states '
                           'from the checkpoint.')
