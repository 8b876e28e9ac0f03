"""Stop cleanly on SIGTERM, SIGINT or SIGHUP: finish the iteration, checkpoint, exit.

Schedulers and spot instances send SIGTERM before killing a job; Ctrl-C
sends SIGINT; a closed terminal or a dropped ssh session sends SIGHUP.
Without this hook the run dies and everything since the last
checkpoint is lost. With it, the signal is only noted; after the current
iteration every rank agrees (one all-reduce of a flag, so all ranks stop at
the same iteration under ``dist_train.sh``), a checkpoint of that iteration
is written through the run's ``CheckpointHook`` and the process exits with
one line and code 128 + signal number. ``--resume`` then continues exactly.
A second signal is not caught: Ctrl-C twice still stops at once (the tools
then print one line, exit 130: :func:`fcn_plugin.errors.interrupted`). A
signal the process was started ignoring stays ignored: under ``nohup`` a
closed terminal's SIGHUP does not stop the run.

A signal during a validation (VOC val: 1,449 images, minutes on a GPU, an
hour on a CPU; SLURM kills 30 s after its SIGTERM) stops it at its next
image: the iteration that was trained is checkpointed (it usually just was)
and no mIoU or best checkpoint comes from the part of the val set seen. In
``tools/test.py`` it stops at the next image too, with one line.

A terminal's Ctrl-C or hang-up reaches every process of the foreground
group: DataLoader workers ignore SIGINT and SIGHUP
(:func:`worker_ignores_terminal_signals`, the
configs' ``worker_init_fn``) and keep serving the main process. A
scheduler's SIGTERM to the whole process group stops the workers (they must
stay stoppable with SIGTERM: that is how Python ends daemon processes at
exit); the main process then stops torch's check for dead workers, which
would otherwise raise inside the running iteration, finishes the iteration
with the batch it holds, and checkpoints. (If it was waiting for its next
batch at that moment, that wait fails and the last periodic checkpoint is
what ``--resume`` finds.)
"""
import signal
import sys

import torch
import torch.distributed as dist
from mmengine.dist import all_reduce, is_distributed
from mmengine.hooks import CheckpointHook, Hook
from mmengine.registry import FUNCTIONS, HOOKS

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGHUP)


@FUNCTIONS.register_module()
def worker_ignores_terminal_signals(worker_id):
    """``worker_init_fn``: Ctrl-C and hang-ups are the main process's.

    (Sample randomness comes from each sample's seed, see
    ``ResumableSampler``, so workers need no seeding of their own.)
    """
    for signum in TERMINAL_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


@HOOKS.register_module()
class PreemptionHook(Hook):
    """On SIGTERM/SIGINT/SIGHUP: checkpoint after the current iteration (or
    at the next image of a validation) and exit with code 128 + signal; in
    ``tools/test.py``, stop at the next image."""

    priority = 'LOWEST'  # after CheckpointHook's own save of an iteration

    def __init__(self):
        self.received = None
        self._previous = {}

    def before_train(self, runner):
        self._install()

    def _note(self, signum, frame):
        self.received = signum
        for other, handler in self._previous.items():  # a 2nd one: default
            signal.signal(other, handler)
        # workers stopped by the same signal must not end this iteration
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)

    def _stop_requested(self):
        """The signal to stop on (0: none), agreed by every rank; alone, the
        note itself (no tensor)."""
        if not is_distributed():
            return self.received or 0
        flag = torch.tensor([self.received or 0])
        all_reduce(flag, op='max')  # mmengine: on the backend's device
        return int(flag.item())

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        signum = self._stop_requested()
        if not signum:
            return
        done = runner.iter + 1
        checkpoint = self._checkpoint(runner, done)
        runner.logger.warning(
            f'{signal.Signals(signum).name}: stopped after iteration {done}, '
            f'checkpoint {checkpoint}. Continue with --resume.')
        sys.exit(128 + signum)

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None):
        """A validation inside training stops at its next image: no metric
        and no best checkpoint from a part of the val set."""
        signum = self._stop_requested()
        if not signum:
            return
        done = runner.iter  # the loop counted the iteration before validating
        checkpoint = self._checkpoint(runner, done)
        runner.logger.warning(
            f'{signal.Signals(signum).name}: validation at iteration {done} '
            f'stopped after {batch_idx + 1} of {len(runner.val_dataloader)} '
            f'batches (no mIoU, no best checkpoint from it); checkpoint '
            f'{checkpoint}. Continue with --resume.')
        sys.exit(128 + signum)

    def _checkpoint(self, runner, done):
        """Save iteration ``done`` through the run's ``CheckpointHook``
        unless it has just saved it; return the checkpoint's path."""
        saver = next(h for h in runner.hooks if isinstance(h, CheckpointHook))
        name = saver.filename_tmpl.format(done)
        if not (saver.last_ckpt or '').endswith(name):  # not saved just now
            # CheckpointHook saves in after_train_iter, before the loop
            # counts the iteration: name and meta say runner.iter + 1
            loop = runner.train_loop
            shift = loop._iter - (done - 1)  # 0 after an iteration, 1 after
            loop._iter -= shift
            try:
                saver._save_checkpoint(runner)  # what its interval would do
            finally:
                loop._iter += shift
        if is_distributed():
            dist.barrier()  # every rank leaves after rank 0's save
        return saver.last_ckpt

    def after_train(self, runner):
        self._restore()

    def before_test(self, runner):
        self._install()

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        """``tools/test.py`` stops at its next image, with one line."""
        signum = self._stop_requested()
        if signum:
            runner.logger.warning(
                f'{signal.Signals(signum).name}: testing stopped after '
                f'{batch_idx + 1} of {len(runner.test_dataloader)} batches; '
                'no metrics computed.')
            sys.exit(128 + signum)

    def after_test(self, runner):
        self._restore()

    def _install(self):
        """Take the stop signals, except those this process was started
        ignoring: ``nohup`` ignores SIGHUP (a closed terminal must not stop
        the run), a shell's background job SIGINT; they stay ignored."""
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                self._previous[signum] = signal.signal(signum, self._note)

    def _restore(self):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}
