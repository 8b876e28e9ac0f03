"""Worker processes for a tool's per-file work, that cannot hang or spill.

``multiprocessing.Pool`` waits forever for the result of a worker the
kernel's out-of-memory killer (SIGKILL) removed, prints every worker's
``KeyboardInterrupt`` traceback on Ctrl-C, and a worker's ``BrokenPipeError``
when the tool is terminated. Here:

- the workers of ``concurrent.futures.ProcessPoolExecutor`` are watched: a
  lost worker ends the run with one line naming what happened and what to
  do (fewer ``--workers``, more memory), exit 1;
- workers ignore Ctrl-C and hang-ups (the terminal sends them to the whole
  group; the tool decides) and die quietly on SIGTERM; the tool's Ctrl-C or
  SIGTERM (:class:`~fcn_plugin.errors.Stopped`) gives the one line every
  tool gives;
- however the run ends, no worker outlives it;
- the pool is never larger than the work there is and the cores
  (:func:`~fcn_plugin.tooling.arguments.pool_size`).
"""
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import UserInputError
from .arguments import pool_size


def _start_worker(initializer, initargs):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if initializer is not None:
        initializer(*initargs)


class WorkerPool:
    """``with WorkerPool(workers, work, initializer, initargs) as pool:``
    then ``pool.map(function, items)`` yields ``function(item)`` in order,
    computed in at most ``workers`` processes (never more than ``work``
    items or the cores). Leaving the block, however, stops every worker; a
    lost worker is a :class:`UserInputError` naming ``what`` was read."""

    def __init__(self, workers, work, initializer=None, initargs=(),
                 what='files'):
        self.size = pool_size(workers, work)
        self.what = what
        self.executor = ProcessPoolExecutor(
            self.size, initializer=_start_worker,
            initargs=(initializer, initargs))

    def __enter__(self):
        return self

    def map(self, function, items, chunksize=1):
        try:
            yield from self.executor.map(function, items, chunksize=chunksize)
        except BrokenProcessPool:
            raise UserInputError(
                f'a worker process reading the {self.what} was killed (by '
                "the kernel's out-of-memory killer, or a signal to it "
                'alone); nothing after it was read: run again with fewer '
                f'--workers (this run: {self.size}) or more memory') from None

    def __exit__(self, kind, exc, tb):
        if kind is None:
            self.executor.shutdown(wait=True)
            return False
        for process in list((self.executor._processes or {}).values()):
            if process.is_alive():
                process.kill()
        self.executor.shutdown(wait=True, cancel_futures=True)
        return False
