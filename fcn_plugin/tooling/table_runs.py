"""One run of a table row, as ``tools/reproduce_table.py`` keeps it.

A run is a work dir ``<work root>/<row>/run<k>`` with its record
``run.json``: the settings it was made with (config, seed, ``--cfg-options``),
whether its training finished and how long it took, the SLURM job that
trains it, and the test results of its checkpoint. The record is what makes
a rerun cheap and safe: a finished run is reused, an interrupted one resumes
(``tools/train.py --resume``), one made with other settings is refused.

The released checkpoint is the one with the best val mIoU seen during
training (the reference's); a run that never validated is scored with its
last checkpoint, and the record says so.
"""
import glob
import json
import os
import os.path as osp
import re
from datetime import datetime

from ..errors import UserInputError
from .output_files import write_json

RECORD = 'run.json'
# the settings that must match for a run to be reused
SETTINGS = ('config_name', 'seed', 'cfg_options')
_ITER = re.compile(r'iter_(\d+)\.pth$')
# tools/slurm_train_job.sh's own lines in a job's log
_JOB_START = re.compile(r'^job (\d+) start (\d+) on .* at (\S+): ', re.M)
_JOB_END = re.compile(r'^job (\d+) end at (\S+) \(exit (\d+)\): (.*)$', re.M)


class TableRun:
    """Run ``k`` (1-based) of ``config`` in ``work_root``, trained with
    ``seed`` and ``cfg_options`` (``KEY=VALUE`` strings)."""

    def __init__(self, work_root, config, k, seed, cfg_options):
        self.config = osp.abspath(config)
        self.row = osp.splitext(osp.basename(config))[0]
        self.k, self.seed = k, seed
        self.cfg_options = list(cfg_options)
        self.work_dir = osp.join(osp.abspath(work_root), self.row, f'run{k}')
        self.name = f'{self.row} run{k}'
        self.record = self._load()

    # the record
    def _path(self):
        return osp.join(self.work_dir, RECORD)

    def _load(self):
        try:
            with open(self._path(), encoding='utf-8') as f:
                record = json.load(f)
        except FileNotFoundError:
            if osp.isdir(self.work_dir) and os.listdir(self.work_dir):
                raise UserInputError(
                    f'{self.work_dir} holds files but no {RECORD}: not a run '
                    'of reproduce_table.py (or its record was removed); move '
                    'that folder away, or use another --work-root') from None
            return {}
        except (OSError, ValueError) as exc:
            raise UserInputError(
                f'{self._path()} cannot be read ({exc}): it is the record of '
                f'{self.name}; move that run folder away to train it anew, '
                'or use another --work-root') from None
        settings = self.settings()
        other = [_difference(k, record.get(k), settings[k]) for k in SETTINGS
                 if record.get(k) != settings[k]]
        if other:
            raise UserInputError(
                f'{self.work_dir} holds a run made with other settings '
                f'({"; ".join(other)}); use another --work-root for these '
                'settings, or the same settings to continue that table')
        return record

    def settings(self):
        return {'config_name': osp.basename(self.config), 'seed': self.seed,
                'cfg_options': self.cfg_options}

    def save(self, **changes):
        """Update the record on disk (a complete file or the old one)."""
        self.record.update(self.settings(), config=self.config, **changes)
        os.makedirs(self.work_dir, exist_ok=True)
        write_json(self._path(), self.record)

    @property
    def trained(self):
        return bool(self.record.get('trained'))

    # training
    def train_options(self):
        """The ``--cfg-options`` of its training: the user's, its seed."""
        return [*self.cfg_options, f'randomness.seed={self.seed}']

    def add_train_seconds(self, seconds):
        self.save(train_seconds=round(
            self.record.get('train_seconds', 0.0) + seconds, 1))

    def checkpoint(self):
        """``(path, 'best' or 'last')`` of the checkpoint to score, or
        ``(None, None)``."""
        best = glob.glob(osp.join(self.work_dir, 'best_mIoU_iter_*.pth'))
        if best:
            return max(best, key=_iteration), 'best'
        last = osp.join(self.work_dir, 'last_checkpoint')
        if osp.isfile(last):
            with open(last, encoding='utf-8') as f:
                path = f.read().strip()
            if osp.isfile(path):
                return path, 'last'
        return None, None

    # SLURM: the job log of tools/slurm_train_job.sh
    def job_log(self):
        job = self.record.get('job_id')
        return osp.join(self.work_dir, f'slurm-{job}.out') if job else None

    def job_outcome(self):
        """From the job's log: ``(seconds trained over its starts,
        finished, last error line)``."""
        path = self.job_log()
        try:
            with open(path, encoding='utf-8', errors='replace') as f:
                text = f.read()
        except (OSError, TypeError):
            return 0.0, False, f'no job log {path}'
        starts = [datetime.fromisoformat(m.group(3))
                  for m in _JOB_START.finditer(text)]
        ends = list(_JOB_END.finditer(text))
        seconds = sum((datetime.fromisoformat(e.group(2)) - s).total_seconds()
                      for s, e in zip(starts, ends))
        finished = bool(ends) and ends[-1].group(3) == '0'
        return seconds, finished, last_error(text)


def _difference(key, old, new):
    """What differs in setting ``key`` between a run's record and now."""
    if isinstance(old, list) and isinstance(new, list):
        gone = [o for o in old if o not in new]
        added = [o for o in new if o not in old]
        return (f'{key}: ' + ', '.join(
            [f'had {" ".join(gone)}'] * bool(gone) +
            [f'now also {" ".join(added)}'] * bool(added)))
    return f'{key}: {old!r}, now {new!r}'


def _iteration(path):
    match = _ITER.search(path)
    return int(match.group(1)) if match else -1


def last_error(text):
    """The line of a tool's output that says what went wrong: the last
    ``error:`` line of our tools, else SLURM's, else the last line of a
    traceback, else the last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for marks in (('error:', ), ('error:', 'srun: error:', 'slurmstepd')):
        for line in reversed(lines):
            if line.startswith(marks):
                return line
    for i in range(len(lines) - 1, 0, -1):
        if lines[i - 1].startswith(('File ', 'raise ', '^')) or \
                re.match(r'^\w+(Error|Exception)\b', lines[i]):
            return lines[i]
    return lines[-1] if lines else '(empty log)'


def read_test_metrics(test_dir, since):
    """The metrics mmengine's LoggerHook wrote for a test run that started
    at ``since`` (epoch seconds) in ``test_dir``: ``<timestamp>/<timestamp>.json``
    with mIoU in percent; ``None`` if it wrote none."""
    found = [p for p in glob.glob(osp.join(test_dir, '*', '*.json'))
             if osp.getmtime(p) >= since - 1]
    for path in sorted(found, key=osp.getmtime, reverse=True):
        with open(path, encoding='utf-8') as f:
            metrics = json.load(f)
        if 'mIoU' in metrics:
            return {k: round(float(v), 2) for k, v in metrics.items()
                    if k in ('mIoU', 'mAcc', 'aAcc')}
    return None
