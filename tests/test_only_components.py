"""Test-only registered components that simulate what happens to real runs:
a crash (kill -9) after an iteration, SIGTERM from a scheduler (in an
iteration, a validation or a test), a kill
during a slow checkpoint write, and a dataset that logs every sample it
loads, a counter of host reads of tensor values. Imported by test configs
through ``custom_imports``."""
import json
import os
import signal
import time

import torch
from mmengine.fileio import register_backend
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from fcn_plugin.datasets import VOCTrainAugDataset
from fcn_plugin.engine import AtomicLocalBackend
from fcn_plugin.tooling.reference_training import HostWaits
from mmseg.registry import DATASETS


@HOOKS.register_module()
class CrashAfterIteration(Hook):
    """End the process abruptly after ``iteration`` (after its checkpoint)."""
    priority = 'LOWEST'  # after CheckpointHook (VERY_LOW)

    def __init__(self, iteration):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.iteration:
            os._exit(137)


@HOOKS.register_module()
class SignalDuringIteration(Hook):
    """Send ``signum`` (SIGTERM) to this process (rank ``rank`` only) in
    ``iteration``; ``group=True``: to its whole process group, DataLoader
    workers included, as a scheduler (SIGTERM) or a closed terminal (SIGHUP)
    does."""
    priority = 'LOW'  # before PreemptionHook (LOWEST) looks

    def __init__(self, iteration, rank=0, group=False, signum='SIGTERM'):
        self.iteration, self.rank, self.group = iteration, rank, group
        self.signum = getattr(signal, signum)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.iteration and runner.rank == self.rank:
            if self.group:
                os.killpg(os.getpgrp(), self.signum)
            else:
                os.kill(os.getpid(), self.signum)


@HOOKS.register_module()
class SignalDuringEvaluation(Hook):
    """Send ``signum`` to this process after validation batch ``batch`` (of
    the validation at training iteration ``iteration``) or test batch
    ``batch``, as a scheduler's SIGTERM arrives in the middle of one."""
    priority = 'LOW'  # before PreemptionHook (LOWEST) looks

    def __init__(self, batch, iteration=None, signum='SIGTERM'):
        self.batch, self.iteration = batch, iteration
        self.signum = getattr(signal, signum)

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None):
        if runner.iter == self.iteration and batch_idx + 1 == self.batch:
            os.kill(os.getpid(), self.signum)

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        if batch_idx + 1 == self.batch:
            os.kill(os.getpid(), self.signum)


@HOOKS.register_module()
class HostReadCounter(Hook):
    """Counts the host's reads of tensor values (``HostWaits`` on the CPU:
    each a wait for the device on a GPU) in each training iteration, from
    its ``before_train_iter`` to the next, and writes ``{iteration: count}``
    to $HOST_READS at the end."""
    priority = 'HIGHEST'

    def before_train(self, runner):
        self.waits = HostWaits('cpu').__enter__()
        self.counts, self.current, self.start = {}, None, 0

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._close()
        self.current, self.start = runner.iter + 1, self.waits.count

    def _close(self):
        if self.current is not None:
            self.counts[self.current] = self.waits.count - self.start

    def after_train(self, runner):
        self._close()
        self.waits.__exit__(None, None, None)
        with open(os.environ['HOST_READS'], 'w') as f:
            json.dump(self.counts, f)


@register_backend('slow_atomic_local')
class SlowAtomicLocalBackend(AtomicLocalBackend):
    """Writes the checkpoint named in $SLOW_SAVE half, touches $SLOW_MARKER
    and hangs: the test kills the process in the middle of the save."""

    def put(self, obj, filepath):
        self._slow = os.path.basename(str(filepath)) == os.environ.get(
            'SLOW_SAVE')
        super().put(obj, filepath)

    def _write(self, f, data):
        if not self._slow:
            return f.write(data)
        f.write(data[:len(data) // 2])
        f.flush()
        open(os.environ['SLOW_MARKER'], 'w').close()
        time.sleep(600)


@DATASETS.register_module()
class LoadLoggingVOCDataset(VOCTrainAugDataset):
    """Appends ``index checksum`` of every training sample it produces to
    $LOAD_LOG (the checksum covers the augmented image and label)."""

    def prepare_data(self, idx):
        data = super().prepare_data(idx)
        checksum = int(data['inputs'].to(torch.int64).sum()) * 1000003 + \
            int(data['data_samples'].gt_sem_seg.data.to(torch.int64).sum())
        with open(os.environ['LOAD_LOG'], 'a') as f:
            f.write(f'{idx} {checksum}\n')
        return data
