"""Load a user-supplied checkpoint file with a clear error instead of a traceback."""
import os.path as osp
import pickle

import torch

from ..errors import UserInputError


def load_checkpoint_file(path, what='checkpoint', hint='', map_location='cpu'):
    """``torch.load`` a tensor-only checkpoint (``weights_only=True``).

    Raises:
        UserInputError: the file is missing, unreadable, or holds Python
            objects other than tensors/containers (message names the file).
    """
    if not osp.isfile(path):
        raise UserInputError(f'{what} not found: {path}. {hint}'.strip())
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if 'GLOBAL' in str(exc) or 'Unsupported global' in str(exc):
            raise UserInputError(
                f'refusing {what} {path}: it holds pickled Python objects '
                'other than tensors (possibly code), which are never '
                'executed here. Save only the weights (torch.save of a '
                'state_dict) or re-export it from a trusted source.') from exc
        raise _unreadable(what, path, exc) from exc
    except Exception as exc:  # noqa: BLE001 - junk bytes raise anything
        raise _unreadable(what, path, exc) from exc


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
