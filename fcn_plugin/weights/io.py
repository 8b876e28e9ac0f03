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
