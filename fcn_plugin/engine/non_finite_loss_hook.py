"""Stop training at a NaN or Inf loss, before anything of it is saved.

mmengine trains on through a NaN loss: the weights turn NaN at that step,
later checkpoints and validations carry them (NaN logits argmax to class 0,
which on VOC scores a plausible mIoU), and a NaN model can become the best
checkpoint. This hook notes, on the device, the first iteration whose loss
is not finite, and reads that note (one host wait) where it matters: before
every checkpoint is written, before every validation, at the logging
interval and at the end of training. A non-finite loss then stops the run
with one line naming its iteration; no checkpoint or validation from it on
exists, the checkpoints already written are untouched, and the line names
the newest of them on disk (mmengine notes a checkpoint's name before it
saves it) and what works: ``--resume`` with a lower
``optim_wrapper.optimizer.lr`` continues its schedule at that rate
(:mod:`.resumed_schedule`). Reading the loss at every iteration, as
``.item()`` would, makes the host wait for the GPU each step.
"""
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..errors import UserInputError
from .deferred_runtime_info_hook import logging_iteration


def diverged(runner, iteration, what):
    """The one line for a run that diverged at ``iteration``: the newest
    checkpoint on disk (mmengine notes the name of the one it is about to
    save, which this hook then refuses) and what works."""
    from .resume_safe_runner import newest_intact_checkpoint
    last, _, _ = newest_intact_checkpoint(runner.work_dir,
                                          remove_temporary=False)
    lr = runner.cfg.get('optim_wrapper', {}).get('optimizer', {}).get('lr')
    lower = f'={lr / 10:g}' if isinstance(lr, (int, float)) else '=<lower>'
    if last:
        how = (f'lower the learning rate: --resume --cfg-options '
               f'optim_wrapper.optimizer.lr{lower} continues from its last '
               f'checkpoint, {last} (should that diverge too, its weights '
               'already had: start again with the lower rate and another '
               '--work-dir)')
    else:
        how = ('no checkpoint was saved before it: start again with a lower '
               f'learning rate, --cfg-options optim_wrapper.optimizer.lr'
               f'{lower}')
    return UserInputError(
        f'training diverged: {what} at iteration {iteration}; nothing from '
        f'that iteration on was saved. Check the data, or {how}.')


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`UserInputError` once a ``loss`` was NaN/Inf, before the
    next checkpoint, validation or log line, and before a checkpoint of
    NaN/Inf weights."""

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
        if iteration:
            raise diverged(runner, int(iteration), f'the loss is {loss}')

    def before_save_checkpoint(self, runner, checkpoint):
        """No checkpoint of non-finite weights either: a too-high rate can
        blow up BatchNorm's running statistics before the loss shows it."""
        self.check(runner)
        tensors = [v for v in (checkpoint.get('state_dict') or {}).values()
                   if torch.is_tensor(v) and v.is_floating_point()]
        if tensors and not bool(torch.stack(
                [torch.isfinite(v).all() for v in tensors]).all()):
            name = next(k for k, v in checkpoint['state_dict'].items()
                        if torch.is_tensor(v) and v.is_floating_point()
                        and not torch.isfinite(v).all())
            raise diverged(runner, runner.iter + 1,
                           f'the weights hold NaN or Inf ({name})')

    def before_val(self, runner):
        self.check(runner)

    def after_train(self, runner):
        self.check(runner)
