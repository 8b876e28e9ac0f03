"""Files a tool writes: never onto its own input, complete and checked or
absent. Every tool in ``tools/`` and ``benchmarks/`` writes through here.

``export_onnx.py CFG ck.pth ck.pth`` once replaced the checkpoint with an
ONNX model and then reported 100 % parity (it compared the model with
itself); ``infer.py photos/vis --out photos`` replaced the photos with their
overlays; a full disk, a SIGTERM or a failed parity check left a truncated
or unchecked file at the output path. So:

- an output that is, or would replace, an input is refused before anything
  runs (:func:`refuse_outputs_onto_inputs`; the tools' parsers call it for
  every declared input and output, :mod:`.arguments`; a config's dataset
  folders count as inputs, :func:`dataset_folders`);
- a file is written to a temporary name beside it (:data:`TMP_MARK` and the
  writer's pid, as the checkpoints are), checked there, and renamed over its
  path only once complete (:class:`StagedOutput`), saying so when it
  replaces a file; a failed write removes its temporary file;
- temporary files left by processes that died (``kill -9``, a power cut)
  are removed by the next write into that folder
  (:func:`clear_stale_temporaries`).
"""
import glob
import os
import os.path as osp
import re
import shutil

from ..engine.atomic_checkpoints import TMP_MARK
from ..errors import UserInputError

_STALE_CLEARED = set()  # folders this process has cleared
_TMP_NAME = re.compile(rf'{re.escape(TMP_MARK)}(\d+)$')


def same_file(a, b):
    """Whether paths ``a`` and ``b`` name one file, however spelt."""
    try:
        return osp.samefile(a, b)
    except OSError:  # one does not exist (yet)
        return osp.realpath(a) == osp.realpath(b)


def _paths(value):
    values = value if isinstance(value, (list, tuple)) else [value]
    return [str(v) for v in values if v is not None and '://' not in str(v)]


def _inside(path, folder):
    """Whether ``path`` is ``folder`` or lies below it (links resolved)."""
    path, folder = osp.realpath(path), osp.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def refuse_outputs_onto_inputs(outputs, inputs):
    """A :class:`UserInputError` naming both when an output would replace
    an input: an output that is an input (however spelt: ``./a``, a
    symbolic or hard link), or an output ``'folder'`` (one the tool writes
    files named after its inputs into) that is, or holds, an input.

    Args:
        outputs: ``(option, kind, path or paths)`` each; ``kind`` 'file',
            'folder' or 'workdir' (a folder of the tool's own file names,
            where only the same path counts).
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


def refuse_output_onto_input(output, *inputs):
    """:func:`refuse_outputs_onto_inputs` for one output file."""
    refuse_outputs_onto_inputs([('output', 'file', output)],
                               [('input', given) for given in inputs])


def dataset_folders(cfg):
    """The folders and split files a config's datasets read (every split,
    as each dataset class resolves them, its default folders included):
    inputs of any tool that takes the config."""
    import fcn_plugin  # noqa: F401  (its datasets registered)
    from mmseg.registry import DATASETS
    found = []
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader') or {}
        dataset = loader.get('dataset') or {}
        if not isinstance(dataset, dict) or 'type' not in dataset:
            continue
        try:  # lazy: the paths joined, nothing read
            built = DATASETS.build(dict(dataset, lazy_init=True, pipeline=[]))
        except Exception:  # noqa: BLE001 - a dataset that is not there
            root = dataset.get('data_root')
            found += [root] if isinstance(root, str) else []
            continue
        found += [p for p in (built.data_root, built.ann_file,
                              *built.data_prefix.values())
                  if isinstance(p, str) and p]
    return found or None


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def clear_stale_temporaries(folder):
    """Remove the temporary files (and :class:`StagedFolder` s) of writers
    that are no longer running from ``folder`` (``<name>.tmp-<pid>``);
    return their paths."""
    removed = []
    for path in glob.glob(osp.join(glob.escape(folder), f'*{TMP_MARK}*')):
        match = _TMP_NAME.search(path)
        if not match or int(match.group(1)) == os.getpid() or \
                _alive(int(match.group(1))) or osp.islink(path):
            continue
        try:
            if osp.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
            removed.append(path)
        except OSError:
            pass  # another run cleared it first
    return removed


class StagedOutput:
    """``with StagedOutput(path) as out:`` write ``out.tmp``, check it, then
    ``out.publish()`` renames it over ``path``; leaving the block any other
    way (an error, a full disk, a signal) removes the temporary file and
    leaves ``path`` as it was. The first write into a folder clears the
    stale temporary files there."""

    def __init__(self, path):
        self.path = path
        self.tmp = f'{path}{TMP_MARK}{os.getpid()}'
        folder = osp.dirname(osp.abspath(path))
        if folder not in _STALE_CLEARED:
            _STALE_CLEARED.add(folder)
            clear_stale_temporaries(folder)

    def __enter__(self):
        return self

    def publish(self, sync=True):
        """Make the written file ``path`` (``sync``: on disk first); return
        the line saying what was written (and what it replaced)."""
        if sync:
            with open(self.tmp, 'rb') as f:
                os.fsync(f.fileno())
        replaced = osp.exists(self.path)
        os.replace(self.tmp, self.path)
        return f'{"replaced" if replaced else "wrote"} {self.path}'

    def __exit__(self, *exc):
        if osp.exists(self.tmp):
            os.remove(self.tmp)
        return False


class StagedFolder:
    """``with StagedFolder(folder) as tmp:`` let a program that writes its
    files straight into a folder (mmseg's analysis scripts) write them into
    ``tmp`` (``folder/.tmp-<pid>``); leaving the block normally moves each
    file into ``folder`` (:attr:`said`: what was written or replaced),
    any other way removes ``tmp`` and leaves ``folder`` as it was."""

    def __init__(self, folder):
        self.folder = folder
        self.tmp = osp.join(folder, f'{TMP_MARK}{os.getpid()}')
        self.said = []

    def __enter__(self):
        os.makedirs(self.folder, exist_ok=True)
        clear_stale_temporaries(self.folder)
        shutil.rmtree(self.tmp, ignore_errors=True)
        os.makedirs(self.tmp)
        return self.tmp

    def __exit__(self, kind, exc, tb):
        try:
            if kind is None:
                for name in sorted(os.listdir(self.tmp)):
                    target = osp.join(self.folder, name)
                    replaced = osp.exists(target)
                    os.replace(osp.join(self.tmp, name), target)
                    self.said.append(
                        f'{"replaced" if replaced else "wrote"} {target}')
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return False


def write_bytes(path, data, sync=True):
    """Write ``data`` to ``path`` through :class:`StagedOutput`; return the
    line saying what was written or replaced."""
    with StagedOutput(path) as out:
        with open(out.tmp, 'wb') as f:
            f.write(data)
        return out.publish(sync)


def write_text(path, text):
    """:func:`write_bytes` of UTF-8 ``text``."""
    return write_bytes(path, text.encode('utf-8'))


def write_json(path, data):
    """:func:`write_text` of ``data`` as indented JSON."""
    import json
    return write_text(path, json.dumps(data, indent=2) + '\n')


def write_image(path, array, sync=False, params=()):
    """Encode ``array`` (OpenCV's BGR or a class map) in ``path``'s format
    and write it through :class:`StagedOutput`."""
    import cv2
    ok, data = cv2.imencode(osp.splitext(path)[1] or '.png', array,
                            list(params))
    if not ok:
        raise UserInputError(f'cannot encode {path} in its format '
                             f'{osp.splitext(path)[1]!r}: use .png or .jpg')
    return write_bytes(path, data.tobytes(), sync)
