"""Load a user-supplied checkpoint file with a clear error instead of a traceback."""
import os.path as osp
import pickle

import torch

from ..errors import UserInputError
from . import restricted_unpickler


def require_file(path, what='checkpoint', hint=''):
    """A :class:`UserInputError` naming ``path`` unless it is a file."""
    if not osp.isfile(path):
        raise UserInputError(f'{what} not found: {path}. {hint}'.strip())


def load_checkpoint_file(path, what='checkpoint', hint='', map_location='cpu'):
    """``torch.load`` a checkpoint through :mod:`.restricted_unpickler`:
    tensors, containers and what mmengine stores, never code.

    Raises:
        UserInputError: the file is missing, unreadable, or holds Python
            objects other than those (message names the file).
    """
    require_file(path, what, hint)
    try:
        checkpoint = torch.load(path, map_location=map_location,
                                weights_only=False,
                                pickle_module=restricted_unpickler)
    except pickle.UnpicklingError as exc:
        if 'Unsupported global' in str(exc):
            raise UserInputError(
                f'refusing {what} {path}: it holds pickled Python objects '
                f'other than tensors ({str(exc).split(": ", 1)[-1]}; possibly '
                'code), which are never executed here. Save only the weights '
                '(torch.save of a state_dict) or re-export it from a trusted '
                'source.') from exc
        raise _unreadable(what, path, exc) from exc
    except Exception as exc:  # noqa: BLE001 - junk bytes raise anything
        raise _unreadable(what, path, exc) from exc
    problem = weights_problem(checkpoint)
    if problem:
        raise UserInputError(f'refusing {what} {path}: {problem}')
    return checkpoint


def weights_problem(checkpoint):
    """What makes the weights of a loaded checkpoint unusable (``''`` if
    nothing): non-tensor values in its ``state_dict``, or NaN/Inf weights
    (a diverged run; scored, they would argmax to class 0)."""
    if not isinstance(checkpoint, dict):
        return ''
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            state = checkpoint[key]
            break
    else:
        state = checkpoint
    if 'state_dict' in checkpoint:
        others = [k for k, v in state.items() if not torch.is_tensor(v)]
        if others:
            return (f'its state_dict holds {len(others)} value(s) that are '
                    f'not tensors ({_first(others)}): not a model\'s weights')
    bad = [k for k, v in state.items() if torch.is_tensor(v)
           and v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        return (f'{len(bad)} weight tensor(s) hold NaN or Inf ({_first(bad)})'
                ': it was saved from a diverged run. Use an earlier '
                'checkpoint.')
    return ''


def _first(keys, n=3):
    return ', '.join(map(str, keys[:n])) + (' ...' if len(keys) > n else '')


def _unreadable(what, path, exc):
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ''
    return UserInputError(
        f'cannot read {what} {path}: {type(exc).__name__}: {first}. Is it a '
        'complete PyTorch checkpoint (torch.save)? A download cut short or a '
        'file of another kind reads like this: fetch it again.')


def state_dict_mismatch(expected, given):
    """Describe key and shape differences between two state dicts.

    Returns:
        str: ``''`` when ``given`` fits ``expected`` exactly, else the
        missing keys, unexpected keys and shape mismatches (first 5 of each).
    """
    missing = sorted(set(expected) - set(given))
    unexpected = sorted(set(given) - set(expected))
    wrong_shape = sorted(
        f'{k}: file {tuple(given[k].shape)} vs model {tuple(v.shape)}'
        for k, v in expected.items()
        if k in given and tuple(given[k].shape) != tuple(v.shape))
    problems = []
    for name, keys in (('missing keys', missing),
                       ('unexpected keys', unexpected),
                       ('shape mismatches', wrong_shape)):
        if keys:
            more = f' (+{len(keys) - 5} more)' if len(keys) > 5 else ''
            problems.append(f'{name}: {", ".join(keys[:5])}{more}')
    return '; '.join(problems)
