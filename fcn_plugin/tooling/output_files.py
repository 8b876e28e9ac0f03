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
    refuse_outputs_onto_inputs([('output', 'file', output)],
                               [('input', given) for given in inputs])


def _paths(value):
    values = value if isinstance(value, (list, tuple)) else [value]
    return [str(v) for v in values if v is not None and '://' not in str(v)]


def _inside(path, folder):
    """Whether ``path`` is ``folder`` or lies below it (links resolved)."""
    path, folder = osp.realpath(path), osp.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def refuse_outputs_onto_inputs(outputs, inputs):
    """A :class:`UserInputError` naming both when an output would replace
    an input: an output file that is an input (however spelt: ``./a``, a
    symbolic or hard link), or an output folder that is, or holds, an
    input (its files are named by the tool, so one could land on it).

    Args:
        outputs: ``(option, 'file' or 'folder', path or paths)`` each.
        inputs: ``(option, path or paths)`` each; ``None`` and URLs skipped.
    """
    for out_name, kind, out_value in outputs:
        for out in _paths(out_value):
            for in_name, in_value in inputs:
                for given in _paths(in_value):
                    if same_file(out, given):
                        raise UserInputError(
                            f'{out_name} {out} is also the input {in_name} '
                            f'{given}: writing it would replace that input; '
                            f'choose another {out_name}')
                    if kind == 'folder' and _inside(given, out):
                        raise UserInputError(
                            f'{out_name} {out} holds the input {in_name} '
                            f'{given}: files written there could replace '
                            f'it; choose an {out_name} outside the inputs')


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


def write_text(path, text):
    """Write ``text`` to ``path`` through :class:`StagedOutput`; return the
    line saying what was written or replaced."""
    with StagedOutput(path) as out:
        with open(out.tmp, 'w', encoding='utf-8') as f:
            f.write(text)
        return out.publish()


def write_json(path, data):
    """:func:`write_text` of ``data`` as indented JSON."""
    import json
    return write_text(path, json.dumps(data, indent=2) + '\n')
