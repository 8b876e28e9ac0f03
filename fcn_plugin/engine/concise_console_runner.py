"""mmengine's Runner with a console that shows what a user reads.

While it is built, mmengine's Runner logs the whole environment, the fully
expanded config and the hook table: some 400 lines before the first
iteration. They stay in the run's log file, where they document the run; the
console gets one line saying where they are. Upstream messages that tell a
user nothing (:data:`CONSOLE_NOISE`: deprecation notes about mmengine's own
internals, a metric prefix nobody sets, mmengine's resume bookkeeping that
the plugin's own resume line replaces) also go to the log file only. Other
warnings and errors still reach the console, from rank 0 only under DDP.

DataLoader worker counts are capped at the cores this process may use, once,
with one line: the configs' 8 workers on a 2-core machine would only make
torch warn at every loader start. ``tensorboard = True`` in the config adds
TensorBoard to the visualizer's backends (:mod:`.tensorboard_option`).
Selected in the configs with
``runner_type``; ``tools/test.py`` builds it too.
"""
import logging
import os
import re
import warnings

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .tensorboard_option import require_tensorboard, with_tensorboard

CONSOLE_NOISE = re.compile('|'.join((
    r'The prefix is not set in metric class',
    r'"FileClient" will be deprecated',
    r'"HardDiskBackend" is the alias',
    r'^resumed epoch: \d+, iter: \d+',  # see the plugin's "Resuming at"
    r'^Advance dataloader \d+ steps',
    r'^Loads checkpoint by \S+ backend from path',  # then "Load checkpoint"
)))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def usable_cores():
    """The cores this process may run on (its affinity, as torch counts)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def fit_loaders(loaders, cores):
    """Lower ``num_workers`` above ``cores`` in the loader configs, in
    place, and drop ``pin_memory`` without a GPU (nothing to pin for; torch
    warns at each loader start); return ``[(name, was)]`` of those
    lowered."""
    import torch
    lowered = []
    for name, loader in loaders.items():
        if isinstance(loader, dict) and loader.get('pin_memory') and \
                not torch.cuda.is_available():
            loader['pin_memory'] = False
        if isinstance(loader, dict) and loader.get('num_workers', 0) > cores:
            lowered.append((name, loader['num_workers']))
            loader['num_workers'] = cores
    return lowered


@RUNNERS.register_module()
class ConciseConsoleRunner(Runner):
    """``Runner`` whose start-up INFO records and :data:`CONSOLE_NOISE` go to
    the log file only, with worker counts that fit the machine (and
    TensorBoard when the config asks)."""

    def __init__(self, *args, **kwargs):
        self._starting = True
        if int(os.environ.get('RANK', 0)) > 0:  # every rank would print
            warnings.simplefilter('ignore')     # the same warnings
        cores = usable_cores()
        lowered = fit_loaders({k: kwargs.get(k) for k in LOADERS}, cores)
        from ..tooling.arguments import switch
        tensorboard = switch((kwargs.get('cfg') or {}).get('tensorboard',
                                                           False),
                             'tensorboard')
        if tensorboard:
            require_tensorboard()
            kwargs['visualizer'] = with_tensorboard(kwargs.get('visualizer'))
        super().__init__(*args, **kwargs)
        self._starting = False
        files = [h.baseFilename for h in self.logger.handlers
                 if isinstance(h, logging.FileHandler)]
        self.logger.info(
            f'Environment, full config and hooks: '
            f'{files[0] if files else "-"} (seed {self.seed}, distributed '
            f'{self.distributed}, world size {self.world_size})')
        if tensorboard:
            self.logger.info(f'TensorBoard: tensorboard --logdir '
                             f'{self.work_dir}')
        if lowered:
            self.logger.info(
                f'num_workers lowered to the {cores} core(s) this process may '
                f'use: {", ".join(f"{n} {was}" for n, was in lowered)} -> '
                f'{cores} (more workers than cores only compete)')

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:  # console, not file
                handler.addFilter(self._console_filter)
        return logger

    def _console_filter(self, record):
        if getattr(self, '_starting', False) and \
                record.levelno < logging.WARNING:
            return False
        return not CONSOLE_NOISE.search(str(record.msg))
