"""mmengine's ``RuntimeInfoHook`` that reads the training values at the
logging interval, not at every iteration.

mmengine's hook hands each iteration's outputs (``loss``,
``decode.loss_ce``, ``decode.acc_seg``: tensors on the device) to the
message hub, which turns each into a Python float with ``.item()``: three
waits of the host for the GPU every iteration, though the values are only
read when the ``LoggerHook`` writes a log line. This hook keeps the detached
values on the device and hands them to the message hub, in order and
unchanged, with one device-to-host copy, at the iterations where the
``LoggerHook`` may log, before a checkpoint saves the message hub, before a
validation and at the end of training. The log lines and the message hub's
history are those of mmengine's hook.
"""
import torch
from mmengine.hooks import LoggerHook, RuntimeInfoHook
from mmengine.registry import HOOKS


def logging_iteration(runner, batch_idx):
    """Whether a ``LoggerHook`` may write after this training iteration (its
    own tests; without one, every iteration)."""
    loggers = [h for h in runner.hooks if isinstance(h, LoggerHook)]
    return not loggers or any(
        h.every_n_inner_iters(batch_idx, h.interval)
        or h.end_of_epoch(runner.train_dataloader, batch_idx)
        for h in loggers)


@HOOKS.register_module()
class DeferredRuntimeInfoHook(RuntimeInfoHook):
    """``RuntimeInfoHook`` whose ``train/*`` scalars reach the message hub
    at the logging interval (module docstring)."""

    def __init__(self):
        self._pending = []  # [(key, detached value)] in iteration order

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        for key, value in (outputs or {}).items():
            if torch.is_tensor(value):
                value = value.detach()
            self._pending.append((f'train/{key}', value))
        if logging_iteration(runner, batch_idx):
            self.flush(runner)

    def flush(self, runner):
        """Hand the pending values to the message hub (one host copy)."""
        if not self._pending:
            return
        tensors = [v for _, v in self._pending if torch.is_tensor(v)]
        floats = iter(torch.stack([t.float().reshape(()) for t in tensors])
                      .tolist() if tensors else [])
        for key, value in self._pending:
            runner.message_hub.update_scalar(
                key, next(floats) if torch.is_tensor(value) else value)
        self._pending = []

    def before_save_checkpoint(self, runner, checkpoint):
        self.flush(runner)  # the checkpoint holds the message hub's state
        checkpoint['message_hub'] = runner.message_hub.state_dict()

    def before_val(self, runner):
        self.flush(runner)
        super().before_val(runner)

    def after_train(self, runner):
        self.flush(runner)
        super().after_train(runner)
