"""Test-only hook: end the process abruptly after a given iteration, after
the checkpoint of that iteration is written (simulates a crash / kill -9)."""
import os

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class CrashAfterIteration(Hook):
    priority = 'LOWEST'  # after CheckpointHook (VERY_LOW)

    def __init__(self, iteration):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.iteration:
            os._exit(137)
