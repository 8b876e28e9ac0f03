"""fcn_plugin.tooling.progress: a redrawn bar on a terminal, a few plain
lines anywhere else."""
import io
import re

from fcn_plugin.tooling.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_off_a_terminal_a_line_every_5_percent_and_one_at_the_end():
    log = io.StringIO()
    with Progress(10_582, 'samples', stream=log) as progress:
        for _ in range(10_582):
            progress.update()
    lines = log.getvalue().splitlines()
    assert '\r' not in log.getvalue()
    assert 20 <= len(lines) <= 21 and len(log.getvalue()) < 2_000
    assert re.fullmatch(r'samples: 529/10582 \(5 %\), [\d.]+/s, ETA \d+m '
                        r'\d\ds', lines[0]), lines[0]
    assert re.fullmatch(r'samples: 10582/10582 \(100 %\), [\d.]+/s, took '
                        r'\d+m \d\ds', lines[-1]), lines[-1]


def test_off_a_terminal_a_line_every_30_s_of_a_slow_run(monkeypatch):
    import fcn_plugin.tooling.progress as module
    clock = iter(range(0, 10_000, 40))  # 40 s per item
    monkeypatch.setattr(module.time, 'monotonic', lambda: next(clock))
    log = io.StringIO()
    progress = Progress(1000, 'frames', stream=log)
    for _ in range(3):
        progress.update()
    assert log.getvalue().splitlines()[0].startswith('frames: 1/1000 (0 %)')
    assert len(log.getvalue().splitlines()) == 3


def test_on_a_terminal_mmengines_bar_redrawn_in_place():
    tty = Terminal()
    with Progress(50, 'images', stream=tty) as progress:
        for _ in range(50):
            progress.update()
    assert tty.getvalue().count('\r') >= 50 and '50/50' in tty.getvalue()
    assert 'ETA' in tty.getvalue() and tty.getvalue().endswith('\n')
