"""Stop training at a NaN or Inf loss, before anything of it is saved.

mmengine trains on through a NaN loss: the weights turn NaN at that step,
later checkpoints and validations carry them (NaN logits argmax to class 0,
which on VOC scores a plausible mIoU), and a NaN model can become the best
checkpoint. This hook notes, on the device, the first iteration whose loss
is not finite, and reads that note (one host wait) where it matters: before
every checkpoint is written, before every validation, at the logging
interval and at the end of training. A non-finite loss then stops the run
with one line naming its iteration; no checkpoint or validation from it on
exists, the checkpoints already written are untouched and ``--resume``
continues from the last of them. Reading the loss at every iteration, as
``.item()`` would, makes the host wait for the GPU each step.
"""
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..errors import UserInputError
from .deferred_runtime_info_hook import logging_iteration


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`UserInputError` once a ``loss`` was NaN/Inf, before the
    next checkpoint, validation or log line."""

    priority = 'ABOVE_NORMAL'  # before CheckpointHook (VERY_LOW) saves

    def __init__(self):
        self._first = None  # device: (first non-finite iteration or 0, loss)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        loss = (outputs or {}).get('loss')
        if loss is None:
            return
        loss = torch.as_tensor(loss).detach().float().reshape(())
        seen = torch.stack([torch.zeros_like(loss) + runner.iter + 1, loss])
        seen = torch.where(torch.isfinite(loss), torch.zeros_like(seen), seen)
        if self._first is None:
            self._first = seen
        else:  # keep the first one noted
            self._first = torch.where(self._first[0] > 0, self._first, seen)
        if logging_iteration(runner, batch_idx):
            self.check(runner)

    def check(self, runner):
        """Raise if a non-finite loss was noted (one host read)."""
        if self._first is None:
            return
        iteration, loss = self._first.tolist()
        if not iteration:
            return
        last = runner.message_hub.get_info('last_ckpt') or 'none yet'
        raise UserInputError(
            f'training diverged: the loss is {loss} at iteration '
            f'{int(iteration)}; nothing from that iteration on was saved. '
            'Lower the learning rate (optim_wrapper.optimizer.lr) or check '
            f'the data, then continue with --resume (last checkpoint: '
            f'{last}).')

    def before_save_checkpoint(self, runner, checkpoint):
        self.check(runner)

    def before_val(self, runner):
        self.check(runner)

    def after_train(self, runner):
        self.check(runner)
