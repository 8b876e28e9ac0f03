"""mmengine's Runner with a console that shows what a user reads.

While it is built, mmengine's Runner logs the whole environment, the fully
expanded config and the hook table: some 400 lines before the first
iteration. They stay in the run's log file, where they document the run; the
console gets one line saying where they are. Warnings and errors still reach
the console. Selected in the configs with ``runner_type``.
"""
import logging

from mmengine.registry import RUNNERS
from mmengine.runner import Runner


@RUNNERS.register_module()
class ConciseConsoleRunner(Runner):
    """``Runner`` whose start-up INFO records go to the log file only."""

    def __init__(self, *args, **kwargs):
        self._starting = True
        super().__init__(*args, **kwargs)
        self._starting = False
        files = [h.baseFilename for h in self.logger.handlers
                 if isinstance(h, logging.FileHandler)]
        self.logger.info(
            f'Environment, full config and hooks: '
            f'{files[0] if files else "-"} (seed {self.seed}, distributed '
            f'{self.distributed}, world size {self.world_size})')

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:  # console, not file
                handler.addFilter(self._console_filter)
        return logger

    def _console_filter(self, record):
        return not (getattr(self, '_starting', False)
                    and record.levelno < logging.WARNING)
