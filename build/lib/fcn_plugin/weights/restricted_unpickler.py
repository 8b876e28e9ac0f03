"""A pickle module for ``torch.load`` that can build tensors and data, never code.

Checkpoints written by mmengine 0.10.7 hold, besides tensors and plain
containers, the message hub's ``HistoryBuffer`` objects, numpy arrays and
scalars inside them, and ``getattr(HistoryBuffer, 'min')``-style references
to its statistic functions. torch's ``weights_only=True`` refuses them (torch
>= 2.6 makes that the default), and allow-listing ``builtins.getattr`` in it
would let a pickle reach ``eval`` through
``torch._tensor._rebuild_from_type_v2(func, ...)``, which calls ``func``.

So checkpoints are unpickled here with an explicit table of the few globals
such files need, and no general callable: ``getattr`` and
``_rebuild_from_type_v2`` are replaced by stand-ins that return only a
``HistoryBuffer`` statistic and only rebuild a plain tensor or parameter.
Any other global stops the load (``pickle.UnpicklingError`` naming it) before
anything is called. It works the same on every torch from 2.1 (which has no
``add_safe_globals``), does not change ``torch.load`` for anyone else, and
reads files written under numpy 1 or 2 by either.

Use: ``torch.load(f, weights_only=False, pickle_module=restricted_unpickler)``
(``fcn_plugin.weights.load_checkpoint_file`` does).
"""
import collections
import pickle

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

try:  # numpy >= 2
    from numpy._core import multiarray as _np_multiarray
except ImportError:  # numpy 1.x
    from numpy.core import multiarray as _np_multiarray

HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')
_TENSOR_REBUILDERS = (torch._utils._rebuild_tensor_v2,
                      torch._utils._rebuild_parameter)
if hasattr(torch._utils, '_rebuild_tensor_v3'):  # torch >= 2.3 (uint16/32/64)
    _TENSOR_REBUILDERS += (torch._utils._rebuild_tensor_v3,)


def history_buffer_statistic(owner, name):
    """Stand-in for ``getattr``: only ``HistoryBuffer.<min|max|current|mean>``."""
    if owner is HistoryBuffer and name in HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Unsupported global: getattr({owner!r}, {name!r})')


def rebuild_plain_tensor(func, new_type, args, state):
    """Stand-in for ``torch._tensor._rebuild_from_type_v2``: a tensor rebuilt
    by torch's own rebuild functions, as a plain tensor or parameter, with
    no Python attributes set on it."""
    if (func not in _TENSOR_REBUILDERS
            or new_type not in (torch.Tensor, torch.nn.Parameter) or state):
        raise pickle.UnpicklingError(
            f'Unsupported global: _rebuild_from_type_v2({func!r}, '
            f'{new_type!r}, ...) with state {type(state).__name__}')
    return torch._tensor._rebuild_from_type_v2(func, new_type, args, state)


def _allowed_globals():
    table = {
        ('collections', 'OrderedDict'): collections.OrderedDict,
        ('builtins', 'set'): set,
        ('builtins', 'frozenset'): frozenset,
        ('builtins', 'getattr'): history_buffer_statistic,
        ('_codecs', 'encode'): __import__('_codecs').encode,  # bytes, proto 2
        ('torch', 'Size'): torch.Size,
        ('torch.storage', 'UntypedStorage'): torch.storage.UntypedStorage,
        ('torch._tensor', '_rebuild_from_type_v2'): rebuild_plain_tensor,
        ('numpy', 'ndarray'): np.ndarray,
        ('numpy', 'dtype'): np.dtype,
        ('mmengine.logging.history_buffer', 'HistoryBuffer'): HistoryBuffer,
    }
    for func in _TENSOR_REBUILDERS:
        table[('torch._utils', func.__name__)] = func
    for name in dir(torch):  # torch.float32, torch.uint8, ...
        if isinstance(getattr(torch, name, None), torch.dtype):
            table[('torch', name)] = getattr(torch, name)
    # numpy 2 renamed numpy.core to numpy._core: accept files from either
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        table[(module, '_reconstruct')] = _np_multiarray._reconstruct
        table[(module, 'scalar')] = _np_multiarray.scalar
    for name in dir(getattr(np, 'dtypes', None)):  # numpy >= 1.25
        if name.endswith('DType'):
            table[('numpy.dtypes', name)] = getattr(np.dtypes, name)
    return table


ALLOWED_GLOBALS = _allowed_globals()
# protocol-2 pickles name Python 2 modules
_PY2_MODULES = {'__builtin__': 'builtins', 'copy_reg': 'copyreg'}


class Unpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` resolves only
    :data:`ALLOWED_GLOBALS` (it imports nothing)."""

    def find_class(self, module, name):
        module = _PY2_MODULES.get(module, module)
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except (KeyError, TypeError):
            raise pickle.UnpicklingError(
                f'Unsupported global: GLOBAL {module}.{name}') from None


def load(file, **kwargs):
    """``pickle.load`` through :class:`Unpickler` (torch's legacy format)."""
    return Unpickler(file, **kwargs).load()


def loads(data, **kwargs):
    """``pickle.loads`` through :class:`Unpickler`."""
    import io
    return load(io.BytesIO(data), **kwargs)
