"""Load a user-supplied checkpoint file with a clear error instead of a traceback."""
import os.path as osp
import pickle

import torch

from ..errors import UserInputError


def load_checkpoint_file(path, what='checkpoint', hint=''):
    """``torch.load`` a tensor-only checkpoint (``weights_only=True``) on CPU.

    Raises:
        UserInputError: the file is missing, unreadable, or holds Python
            objects other than tensors/containers (message names the file).
    """
    if not osp.isfile(path):
        raise UserInputError(f'{what} not found: {path}. {hint}'.strip())
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ''
        raise UserInputError(
            f'cannot read {what} {path}: {type(exc).__name__}: {first}. '
            'Is it a complete PyTorch checkpoint (torch.save)?') from exc


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
