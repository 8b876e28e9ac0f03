"""``--resume`` that continues from the newest INTACT checkpoint.

mmengine's auto-resume trusts ``last_checkpoint`` and fails on a truncated
file; with nothing to resume it logs "Auto resumed from the latest
checkpoint None" and silently starts over. This runner looks at the
``iter_*.pth`` / ``epoch_*.pth`` files themselves, newest first, takes the
first whose zip archive is complete, and says which ones it skipped and why;
left-over temporary files of interrupted atomic writes are removed. With
nothing to resume it says that training starts from iteration 0, or stops
when the config sets ``resume_required=True``. A checkpoint whose optimizer
state belongs to another model (:mod:`.optimizer_state_check`) stops the run
before its first step, with the checkpoint named and the way to keep only
its weights. ``--resume`` with another learning rate continues the
schedule at that rate; with another length it stops
(:mod:`.resumed_schedule`). A training takes the work
dir's lock (:mod:`.work_dir_lock`) before it writes anything there, so a
second one stops at once and changes no byte of the first's files.
"""
import glob
import inspect
import os
import os.path as osp
import re
import zipfile

from mmengine.dist import is_main_process
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..errors import UserInputError, describe_error
from ..import_noise import CHECKPOINT_NOISE, without_import_noise
from .atomic_checkpoints import TMP_MARK
from .concise_console_runner import ConciseConsoleRunner
from .optimizer_state_check import foreign_optimizer_state
from .resumed_schedule import (apply_schedule_plan, refuse_another_length,
                               schedule_plan)
from .work_dir_lock import launch_rank, lock_work_dir

_STEP = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


def checkpoint_problem(path):
    """Why ``path`` is not a complete torch.save file (``''`` if it is)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if not any(n.endswith('/data.pkl') for n in archive.namelist()):
                return 'no data.pkl: not a torch.save checkpoint'
    except (zipfile.BadZipFile, OSError) as exc:
        return f'incomplete or unreadable ({exc})'
    return ''


def newest_intact_checkpoint(work_dir, remove_temporary=True):
    """``(path or None, [(skipped path, reason)], [temporary files])``;
    the temporary files of interrupted saves are removed if asked."""
    removed = sorted(glob.glob(osp.join(work_dir, f'*.pth{TMP_MARK}*')))
    for path in removed if remove_temporary else ():
        if osp.exists(path):
            os.remove(path)
    steps = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = _STEP.match(osp.basename(path))
        if match:
            steps.append((int(match.group(2)), path))
    skipped = []
    for _, path in sorted(steps, reverse=True):
        problem = checkpoint_problem(path)
        if not problem:
            return path, skipped, removed
        skipped.append((path, problem))
    return None, skipped, removed


@RUNNERS.register_module()
class ResumeSafeRunner(ConciseConsoleRunner):
    """``ConciseConsoleRunner`` whose auto-resume picks the newest intact
    checkpoint; with ``resume_required=True`` in the config, having none
    stops the run."""

    def __init__(self, *args, **kwargs):
        # the lock comes first: mmengine's __init__ already writes a log
        # folder and the config dump, which a refused run must not touch
        given = inspect.signature(Runner.__init__).bind(
            self, *args, **kwargs).arguments
        self._work_dir_lock = None
        if given.get('resume') and given.get('train_cfg'):  # reads only
            path = given.get('load_from') or newest_intact_checkpoint(
                given['work_dir'], remove_temporary=False)[0]
            if path:
                refuse_another_length(path, given.get('param_scheduler'),
                                      given['train_cfg'].get('max_iters'))
        if (given.get('train_dataloader') is not None
                and launch_rank(given.get('launcher', 'none')) == 0):
            self._work_dir_lock = lock_work_dir(given['work_dir'])
        super().__init__(*args, **kwargs)

    def load_or_resume(self):
        if self._resume and self._load_from is None and not self._has_loaded:
            path, skipped, removed = newest_intact_checkpoint(
                self.work_dir, remove_temporary=is_main_process())
            for tmp in removed:
                self.logger.warning(f'--resume: removed {tmp}, left by a '
                                    'save that was interrupted')
            for name, why in skipped:
                self.logger.warning(f'--resume: skipping {name}: {why}')
            if path is None:
                from ..tooling.arguments import switch
                if switch(self.cfg.get('resume_required', False),
                          'resume_required'):
                    raise UserInputError(
                        f'--resume: no intact checkpoint in {self.work_dir} '
                        '(resume_required=True); check --work-dir.')
                self.logger.warning(
                    f'--resume: no checkpoint in {self.work_dir}, nothing to '
                    'resume: training starts from iteration 0. (To stop '
                    'instead: --cfg-options resume_required=True)')
                self._resume = False
            else:
                self.logger.info(f'--resume: newest intact checkpoint: {path}')
                self._load_from = path
        return super().load_or_resume()

    def load_checkpoint(self, *args, **kwargs):
        with without_import_noise(CHECKPOINT_NOISE):  # mmengine's raw print
            return super().load_checkpoint(*args, **kwargs)

    def resume(self, filename, *args, **kwargs):
        planned = schedule_plan(self.param_schedulers)  # the config's
        try:
            with without_import_noise(CHECKPOINT_NOISE):
                super().resume(filename, *args, **kwargs)
        except UserInputError:
            raise
        except Exception as exc:  # noqa: BLE001 - named if the classifier knows it
            line = describe_error(exc)
            if line is None:
                raise
            raise UserInputError(f'--resume {filename}: {line}') from None
        foreign = foreign_optimizer_state(self.optim_wrapper, self.model)
        if foreign:
            name, key, saved, shape = foreign
            raise UserInputError(
                f'--resume {filename}: its optimizer state was saved from '
                f'another model ({key} of {name} is {saved}, the parameter '
                f'{shape}): to keep only its weights and start a fresh '
                f'optimizer at iteration 0, run without --resume, with '
                f'--cfg-options load_from={filename} and another --work-dir '
                f'(a new start would replace this run\'s checkpoints)')
        for line in apply_schedule_plan(planned, self.param_schedulers,
                                        filename):
            self.logger.warning(line)
