"""Stop training at the first NaN or Inf loss, before anything is saved.

mmengine trains on through a NaN loss: the weights turn NaN at that step,
later checkpoints and validations carry them (NaN logits argmax to class 0,
which on VOC scores a plausible mIoU), and a NaN model can become the best
checkpoint. This hook looks at the iteration's loss right after its
optimizer step, before the checkpoint hook and validation run, and stops
with one line naming the iteration; the checkpoints already written are
untouched and ``--resume`` continues from the last of them.
"""
import math

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..errors import UserInputError


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`UserInputError` when an iteration's ``loss`` is NaN/Inf."""

    priority = 'ABOVE_NORMAL'  # before CheckpointHook (VERY_LOW) saves

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        loss = (outputs or {}).get('loss')
        if loss is None:
            return
        loss = loss.detach().item() if torch.is_tensor(loss) else float(loss)
        if math.isfinite(loss):
            return
        last = runner.message_hub.get_info('last_ckpt') or 'none yet'
        raise UserInputError(
            f'training diverged: the loss is {loss} at iteration '
            f'{runner.iter + 1}; nothing of this iteration was saved. Lower '
            'the learning rate (optim_wrapper.optimizer.lr) or check the '
            f'data, then continue with --resume (last checkpoint: {last}).')
