"""Upstream lines printed at import that tell a user nothing, dropped.

The onedl fork's mmseg and mmpretrain (1.4.2 / 1.3.6) probe an optional
``onedl.core`` when their datasets are imported; without it they call
``print_log('Could not import OneDL', level=logging.DEBUG)``, which with no
logger is a plain ``print``: three lines on stdout at every start. The
plugin imports mmseg's datasets inside :func:`without_import_noise`, which
drops exactly those lines and writes everything else through.
"""
import contextlib
import io
import sys

IMPORT_NOISE = ('Could not import OneDL', )


@contextlib.contextmanager
def without_import_noise(noise=IMPORT_NOISE):
    """Run the block with stdout captured; then write its lines back, less
    those in ``noise`` (also when the block raises)."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            yield
    finally:
        kept = [line for line in captured.getvalue().splitlines(True)
                if line.rstrip('\n') not in noise]
        sys.stdout.write(''.join(kept))
