"""Progress of a long tool run, shown to suit where the output goes.

On a terminal: mmengine's ``ProgressBar``, one line redrawn in place with
the rate and ETA. Anywhere else (a SLURM job log, ``| tee``, CI) a redrawn
bar writes one ``\\r`` update per item, megabytes over a dataset; there a
plain line is printed every 5 % or every 30 s, whichever comes first, and
one at the end: a 10,582-image check writes a few KB.
"""
import sys
import time

from mmengine.utils import ProgressBar


def _duration(seconds):
    seconds = int(seconds)
    if seconds >= 3600:
        return f'{seconds // 3600}h {seconds % 3600 // 60:02d}m'
    return f'{seconds // 60}m {seconds % 60:02d}s'


class Progress:
    """``update(n)`` after each ``n`` of ``total`` items done; ``close()``
    (or leave the ``with`` block) at the end. ``what`` names the items."""

    def __init__(self, total, what='items', stream=None, every_fraction=0.05,
                 every_s=30.0):
        self.total, self.what = total, what
        self.stream = stream or sys.stdout
        self.done, self.start = 0, time.monotonic()
        self.bar = None
        if self.stream.isatty() and total > 0:
            self.bar = ProgressBar(total, file=self.stream)
        self.step = max(1, int(total * every_fraction))
        self.every_s = every_s
        self.next_count, self.next_time = self.step, self.start + every_s

    def update(self, n=1):
        self.done += n
        if self.bar is not None:
            for _ in range(n):
                self.bar.update()
            return
        now = time.monotonic()
        if self.done >= self.total or self.done >= self.next_count or \
                now >= self.next_time:
            self._line(now)
            self.next_count = (self.done // self.step + 1) * self.step
            self.next_time = now + self.every_s

    def _line(self, now):
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else 0
        tail = (f'ETA {_duration(left)}' if self.done < self.total else
                f'took {_duration(elapsed)}')
        self.stream.write(
            f'{self.what}: {self.done}/{self.total} '
            f'({100 * self.done / max(self.total, 1):.0f} %), '
            f'{rate:.1f}/s, {tail}\n')
        self.stream.flush()

    def close(self):
        if self.bar is not None:
            self.stream.write('\n')
            self.stream.flush()
        self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
