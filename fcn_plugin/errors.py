"""User-fixable errors and the one classifier that turns them into one line.

:class:`UserInputError` is raised by the plugin for mistakes a user can fix
(paths, keys, data). :func:`describe_error` decides, for ANY exception that
reaches a tool, whether it is such a mistake and what single line tells the
user the file, key or process and what to do; everything else is a bug and
keeps its traceback. The tools (``cli.user_errors``) print that line as
``error: ...`` and exit 1. ``FCN_PLUGIN_DEBUG=1`` always shows the traceback.
"""
import errno
import os
import re
import signal
import sys

from .mim_configs import missing_config_hint


class UserInputError(Exception):
    """A user-fixable problem; the message names the file or key and the fix."""


_PREFIX = f'{__name__}.{UserInputError.__name__}: '

# errno -> what to do, for an OSError that names its file
_OS_HINTS = {
    errno.ENOSPC: 'free disk space there (earlier files are intact) and run '
                  'again',
    errno.EACCES: 'check its permissions, or choose another path',
    errno.EPERM: 'check its permissions, or choose another path',
    errno.EROFS: 'the file system is read-only: choose a writable '
                 '--work-dir / --out',
    errno.EISDIR: 'a folder is where a file is expected: give a file path',
    errno.ENOTDIR: 'a file is where a folder is expected: give a folder '
                   'path or remove that file',
    errno.EEXIST: 'something is already there: remove it or choose another '
                  'path',
    errno.ELOOP: 'a symbolic-link loop: fix the link',
    errno.ENOENT: 'check the path',
    errno.ENAMETOOLONG: 'use a shorter path',
}
# (text in the message, what it means) for errors raised without a type of
# their own by torch, mmengine and the Python runtime
_MESSAGE_HINTS = (
    ('is killed by signal', 'a data-loading worker process was killed (out '
     'of memory?): lower train_dataloader.num_workers or batch_size'),
    ('exited unexpectedly', 'a data-loading worker process died (out of '
     'memory?): lower train_dataloader.num_workers or batch_size'),
    ('environment variable RANK expected', '--launcher pytorch needs '
     'torchrun: use tools/dist_train.sh CONFIG GPUS (or tools/dist_test.sh)'),
    ('environment variable WORLD_SIZE expected', '--launcher pytorch needs '
     'torchrun: use tools/dist_train.sh CONFIG GPUS (or tools/dist_test.sh)'),
    ('address already in use', 'the rendezvous port is taken (another run?): '
     'set PORT=<free port> for tools/dist_train.sh / dist_test.sh'),
    ("can't allocate memory", 'out of memory: use a smaller input, batch '
     'or num_workers'),
    ("doesn't match the size of optimizer's group", 'the checkpoint\'s '
     'optimizer state belongs to another model: --resume only with the '
     'config (and --cfg-options) it was trained with, or take only its '
     'weights with load_from=CHECKPOINT'),
    ('DefaultCPUAllocator: not enough memory', 'out of memory: use a '
     'smaller input, batch or num_workers'),
)


def _last_line(text):
    text = text.strip()
    last = text.splitlines()[-1] if text else ''
    return last[len(_PREFIX):] if last.startswith(_PREFIX) else last


INTERRUPTED = ('interrupted (Ctrl-C): stopped at once (a training continues '
               'from its last saved checkpoint with --resume)')
STOPPED = ('{name}: stopped at once (finished outputs are kept; a training '
           'continues from its last saved checkpoint with --resume)')


class Stopped(BaseException):
    """SIGTERM or SIGHUP to a tool outside a training's own handling
    (:class:`PreemptionHook`): raised where the tool is, like Ctrl-C's
    ``KeyboardInterrupt``, so that it ends with one line (exit 128 +
    signal), its workers stopped and its outputs complete or absent."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def raise_stopped(signum, frame):
    """Signal handler: raise :class:`Stopped`."""
    raise Stopped(signum)


def interrupted(exc):
    """The signal number (SIGINT for Ctrl-C) when ``exc`` is, or was raised
    while handling, a Ctrl-C or :class:`Stopped`; else 0.

    A second Ctrl-C (the first one only asks :class:`PreemptionHook` to
    checkpoint) can land anywhere, e.g. inside mmengine's config formatting,
    which turns any exception into "Failed to format the config file, please
    check the syntax of: <the whole config>": a false syntax error.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return signal.SIGINT
        if isinstance(exc, Stopped):
            return exc.signum
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return 0


def describe_error(exc):
    """The one line a user should see for ``exc``, or ``None`` for a bug.

    Also reads the exceptions torch's DataLoader re-raises from a worker,
    whose message is the worker's whole traceback, and names a Ctrl-C
    whatever it was turned into (:func:`interrupted`).
    """
    text = str(exc)
    signum = interrupted(exc)
    if signum == signal.SIGINT:
        return INTERRUPTED
    if signum:
        return STOPPED.format(name=signal.Signals(signum).name)
    if isinstance(exc, UserInputError) or _PREFIX.strip(': ') in text:
        return _last_line(text)
    if isinstance(exc, OSError) and exc.errno in _OS_HINTS and (
            exc.filename or exc.errno == errno.ENOSPC):
        where = f': {exc.filename}' if exc.filename else ''
        hint = exc.errno == errno.ENOENT and missing_config_hint(exc.filename)
        return f'{exc.strerror}{where} ({hint or _OS_HINTS[exc.errno]})'
    if isinstance(exc, FileNotFoundError):  # mmengine's name only the path
        named = re.search(r'"([^"]+)" does not exist', text)
        hint = named and missing_config_hint(named.group(1))
        return f'{_last_line(text)} ({hint})' if hint else _last_line(text)
    if isinstance(exc, SyntaxError):  # mmengine names the config in text
        where = f'{exc.filename}, line {exc.lineno}: ' if exc.filename else ''
        return (f'syntax error: {where}{_last_line(exc.msg or text)}. Fix '
                'the file (a config is Python).')
    if isinstance(exc, MemoryError):
        return ('out of memory: use a smaller input, batch or num_workers')
    if isinstance(exc, UnicodeDecodeError):
        return (f'a text file is not UTF-8 ({exc}): save it as UTF-8 text')
    if isinstance(exc, KeyError) and 'registry' in text:
        return (f'{_last_line(text).strip(chr(34) + chr(39))} (check the type '
                'names and keys in the config and --cfg-options)')
    if isinstance(exc, TypeError) and 'unexpected keyword argument' in text:
        return (f'{_last_line(text)} (check the type names and keys in the '
                'config and --cfg-options)')
    for fragment, meaning in _MESSAGE_HINTS:
        if fragment in text:
            return f'{meaning} ({_last_line(text)[:200]})'
    return None


def exit_on_uncaught_user_errors():
    """Make an uncaught user error print one ``error:`` line (exit code 1)
    instead of a traceback; other exceptions are shown as usual."""
    previous = sys.excepthook

    def hook(kind, exc, tb):
        line = describe_error(exc)
        if line is None or os.environ.get('FCN_PLUGIN_DEBUG'):
            return previous(kind, exc, tb)
        print(f'error: {line}', file=sys.stderr)

    sys.excepthook = hook
