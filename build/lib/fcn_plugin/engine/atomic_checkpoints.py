"""Checkpoints that are either complete or absent, whenever the run dies.

mmengine writes a checkpoint straight into its final file, rewrites
``last_checkpoint`` in place and deletes the previous best checkpoint before
the new one exists: a kill at the wrong moment leaves a truncated
``iter_N.pth`` or no best checkpoint at all. Here:

* :class:`AtomicLocalBackend` (file backend ``'atomic_local'``) writes to a
  temporary file in the same folder, fsyncs it and renames it over the
  target (atomic on POSIX), then fsyncs the folder;
* :class:`AtomicCheckpointHook` saves through it, writes ``last_checkpoint``
  the same way and removes an old or previous-best checkpoint only after its
  successor is complete, and only inside this run's own folder: the message
  hub restores the previous best as an absolute path, which in a copied or
  branched work dir names the ORIGINAL run's file.
"""
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook
from mmengine.registry import HOOKS

TMP_MARK = '.tmp-'


def atomic_write(data, path, write=None):
    """Write ``data`` (bytes) to ``path`` via temp file, fsync and rename."""
    tmp = f'{path}{TMP_MARK}{os.getpid()}'
    write = write or (lambda f, chunk: f.write(chunk))
    try:
        with open(tmp, 'wb') as f:
            write(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # disk full, read-only: name the file
        raise OSError(exc.errno, exc.strerror, path) from exc
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    folder = os.open(osp.dirname(osp.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` whose ``put``/``put_text`` are atomic."""

    def put(self, obj, filepath):
        os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)
        atomic_write(obj, str(filepath), self._write)

    def put_text(self, obj, filepath, encoding='utf-8'):
        self.put(obj.encode(encoding), filepath)

    def _write(self, f, data):
        f.write(data)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` with atomic writes and delete-after-save.

    Args: as :class:`mmengine.hooks.CheckpointHook`; ``backend_args``
    defaults to ``dict(backend='atomic_local')``.
    """

    def __init__(self, *args, backend_args=None, **kwargs):
        super().__init__(
            *args, backend_args=backend_args or dict(backend='atomic_local'),
            **kwargs)

    def _save_checkpoint_with_step(self, runner, step, meta):
        # mmengine's bookkeeping, but the file leaving the kept window is
        # removed only after the new checkpoint is complete
        leaving = None
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                leaving = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir, ckpt_filename, self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler, meta=meta,
            by_epoch=self.by_epoch, backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write(self.last_ckpt.encode(),
                     osp.join(runner.work_dir, 'last_checkpoint'))
        if leaving is not None:
            self._remove(runner, self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(leaving)))

    def _save_best_checkpoint(self, runner, metrics):
        # mmengine removes the previous best before writing the new one;
        # hide it from the parent, remove it once the new one exists
        if len(self.key_indicators) != 1:
            return super()._save_best_checkpoint(runner, metrics)
        previous, self.best_ckpt_path = self.best_ckpt_path, None
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            if self.best_ckpt_path is None:
                self.best_ckpt_path = previous
        if previous and self.best_ckpt_path != previous and \
                is_main_process() and self._remove(runner, previous):
            runner.logger.info(f'The previous best checkpoint {previous} is '
                               'removed (after the new one was saved)')

    def _remove(self, runner, path):
        """Remove ``path`` if it is a file in this run's checkpoint folder;
        return whether it was removed."""
        inside = osp.dirname(osp.realpath(path)) == osp.realpath(self.out_dir)
        if not inside:
            runner.logger.warning(
                f'not removing {path}: it is not in this run\'s folder '
                f'{self.out_dir} (a copied or branched work dir?)')
        elif self.file_backend.isfile(path):
            self.file_backend.remove(path)
            return True
        return False
