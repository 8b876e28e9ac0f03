"""Files a tool writes: never onto its own input, complete and checked or
absent.

``export_onnx.py CFG ck.pth ck.pth`` once replaced the checkpoint with an
ONNX model and then reported 100 % parity (it compared the model with
itself); a full disk, a SIGTERM or a failed parity check left a truncated or
unchecked model at the deploy path. Here an output that is one of the
inputs (however spelt: ``./a``, a symlink, a hard link) is refused before
anything runs, and an output is written to a temporary file beside it
(:data:`TMP_MARK`, as the checkpoints are), checked there, and renamed over
its path only once complete and checked, saying so when it replaces a file.
"""
import os
import os.path as osp

from ..engine.atomic_checkpoints import TMP_MARK
from ..errors import UserInputError


def same_file(a, b):
    """Whether paths ``a`` and ``b`` name one file, however spelt."""
    try:
        return osp.samefile(a, b)
    except OSError:  # one does not exist (yet)
        return osp.realpath(a) == osp.realpath(b)


def refuse_output_onto_input(output, *inputs):
    """A :class:`UserInputError` when ``output`` is one of ``inputs``."""
    for given in inputs:
        if same_file(output, given):
            raise UserInputError(
                f'{output} is also an input of this command ({given}): '
                'writing it would replace that input; name another output '
                'file')


class StagedOutput:
    """``with StagedOutput(path) as out:`` write ``out.tmp``, check it, then
    ``out.publish()`` renames it over ``path``; leaving the block any other
    way removes the temporary file and leaves ``path`` as it was."""

    def __init__(self, path):
        self.path = path
        self.tmp = f'{path}{TMP_MARK}{os.getpid()}'

    def __enter__(self):
        return self

    def publish(self):
        """Make the checked file ``path``; return the line saying what was
        written (and what it replaced)."""
        with open(self.tmp, 'rb') as f:
            os.fsync(f.fileno())
        replaced = osp.exists(self.path)
        os.replace(self.tmp, self.path)
        return f'{"replaced" if replaced else "wrote"} {self.path}'

    def __exit__(self, *exc):
        if osp.exists(self.tmp):
            os.remove(self.tmp)
        return False
