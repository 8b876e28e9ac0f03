"""Upstream lines printed raw that tell a user nothing, dropped.

The onedl fork's mmseg and mmpretrain (1.4.2 / 1.3.6) probe an optional
``onedl.core`` when their datasets are imported; without it they call
``print_log('Could not import OneDL', level=logging.DEBUG)``, which with no
logger is a plain ``print``: three lines on stdout at every start. The
plugin imports mmseg's datasets inside :func:`without_import_noise`, which
drops exactly those lines and writes everything else through.

mmengine's checkpoint loading does the same with ``Loads checkpoint by
_checkpoint backend from path: ...`` (``print_log`` with no logger from
``_load_checkpoint``, before its own logged "Load checkpoint from ..."):
the plugin's runner and tools load inside
``without_import_noise(CHECKPOINT_NOISE)``. Lines that other code logs
through a logger are not touched (their handlers hold the real stream).
"""
import contextlib
import io
import re
import sys

IMPORT_NOISE = re.compile(r'Could not import OneDL')
CHECKPOINT_NOISE = re.compile(r'Loads checkpoint by \S+ backend from path: .*')


@contextlib.contextmanager
def without_import_noise(noise=IMPORT_NOISE):
    """Run the block with stdout captured; then write its lines back, less
    those that ``noise`` (a compiled pattern) matches whole (also when the
    block raises)."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            yield
    finally:
        kept = [line for line in captured.getvalue().splitlines(True)
                if not noise.fullmatch(line.rstrip('\n'))]
        sys.stdout.write(''.join(kept))
