"""Let torch >= 2.6 load mmengine 0.10.7 checkpoints with ``weights_only=True``.

mmengine's loader calls ``torch.load`` without ``weights_only``; since torch
2.6 that means ``weights_only=True``, which refuses the few non-tensor objects
mmengine stores in ``meta`` (the message hub's ``HistoryBuffer`` and the numpy
arrays/scalars inside it), so ``--resume``, ``tools/test.py`` and
``init_model`` fail with ``Unsupported global: ...HistoryBuffer``.

Instead of falling back to unrestricted unpickling, allow-list exactly those
classes (found by disassembling checkpoints written by mmengine 0.10.7).
``getattr`` is needed because ``HistoryBuffer`` pickles its statistic methods
as bound methods; the restricted unpickler still refuses to *call* anything
that is not allow-listed.
"""
import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer


def _numpy_globals():
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [
        getattr(np.dtypes, name) for name in dir(np.dtypes)
        if name.endswith('DType')
    ] if hasattr(np, 'dtypes') else []
    return [_reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes]


MMENGINE_CHECKPOINT_GLOBALS = [HistoryBuffer, getattr, *_numpy_globals()]

if hasattr(torch.serialization, 'add_safe_globals'):  # torch >= 2.4
    torch.serialization.add_safe_globals(MMENGINE_CHECKPOINT_GLOBALS)
