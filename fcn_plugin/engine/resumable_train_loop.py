"""Iteration-based training that resumes in constant time, still exactly.

mmengine 0.10.7's ``IterBasedTrainLoop`` resumes at iteration N by loading
and discarding N batches; near the end of a row that is hours of image
decoding. With :class:`~fcn_plugin.datasets.ResumableSampler` the data
position is computed instead: epoch ``N // batches_per_epoch``, then the
sampler skips the epoch's first ``(N % batches_per_epoch) * batch_size``
indices without loading them. Samples carry their own seeds, so the resumed
run sees exactly the batches the uninterrupted one would have.
"""
import torch
from mmengine.logging import print_log
from mmengine.registry import LOOPS
from mmengine.runner import IterBasedTrainLoop

from ..datasets.resumable_sampler import ResumableSampler
from ..errors import UserInputError


class _PositionedIterator:
    """Endless iterator over a DataLoader that can start anywhere.

    ``seek(n)`` places it at the start of training iteration ``n``; then
    mmengine's own advance, ``n`` calls of ``next`` (mmengine 0.10.7) or
    ``skip_iter(n)`` (the onedl fork), returns ``None`` and loads nothing.
    """

    def __init__(self, dataloader):
        self._loader = dataloader
        self._sampler = dataloader.sampler
        self._iterator = None
        self._epoch, self._skip, self._discard = 0, 0, 0

    def seek(self, iteration):
        """Start at ``iteration``; returns its ``(epoch, batch)``."""
        self._epoch, batch = divmod(iteration, len(self._loader))
        self._skip = batch * self._loader.batch_size
        self._discard, self._iterator = iteration, None
        return self._epoch, batch

    def __iter__(self):
        return self

    def skip_iter(self, num_iters):
        """The onedl fork's advance: the same as ``num_iters`` ``next``."""
        self._discard = max(self._discard - num_iters, 0)

    def __next__(self):
        if self._discard:
            self._discard -= 1
            return None
        if self._iterator is None:
            self._restart()
        try:
            return next(self._iterator)
        except StopIteration:
            self._epoch, self._skip = self._epoch + 1, 0
            self._restart()
            return next(self._iterator)

    def _restart(self):
        self._sampler.seek(self._epoch, self._skip)
        # A DataLoader draws its workers' base seed from torch's global
        # generator when (re)started; keep that draw out of the main stream
        # (dropout), so training is the same for any num_workers.
        with torch.random.fork_rng(devices=[]):
            self._iterator = iter(self._loader)


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` that moves the data position on resume without
    loading any sample (needs ``ResumableSampler``; otherwise it behaves as
    mmengine's loop and says so).

    Args: as :class:`mmengine.runner.IterBasedTrainLoop`.
    """

    def run(self):
        if self._iter == self._max_iters > 0:
            print_log(f'--resume: training is complete (iteration '
                      f'{self._iter} = train_cfg.max_iters): nothing to do.',
                      logger='current')
        if self._iter > self._max_iters:
            raise UserInputError(
                f'--resume: the checkpoint is at iteration {self._iter} and '
                f'train_cfg.max_iters is {self._max_iters}: nothing to train. '
                'Raise train_cfg.max_iters to continue, or score the '
                'checkpoint with tools/test.py.')
        if isinstance(self.dataloader.sampler, ResumableSampler):
            self.dataloader_iterator = _PositionedIterator(self.dataloader)
            if self._iter > 0:
                epoch, batch = self.dataloader_iterator.seek(self._iter)
                print_log(
                    f'Resuming at iteration {self._iter}: epoch {epoch}, '
                    f'batch {batch} of {len(self.dataloader)}, reached '
                    'without loading a sample.', logger='current')
        elif self._iter > 0:
            print_log(
                'train_dataloader.sampler is not ResumableSampler: resuming '
                'replays every batch already trained.', logger='current')
        return super().run()
