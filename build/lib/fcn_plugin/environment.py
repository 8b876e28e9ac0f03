"""Refuse, at import, a Python/torch/numpy combination that cannot work.

torch 2.1 and 2.2 were compiled against numpy 1. Beside numpy 2 they still
import, but every ``torch.from_numpy`` raises ``RuntimeError: Numpy is not
available``, which surfaces far away (the first image a dataset loads) and
reads like a broken file. The check below makes that exact call once and
turns the failure into one line with the fix. Tested combinations: the
README's compatibility table.
"""
import sys

from .errors import UserInputError

SUPPORTED_PYTHONS = ((3, 10), (3, 13))  # = setup.cfg python_requires


class IncompatibleEnvironmentError(UserInputError, ImportError):
    """The installed Python, torch and numpy cannot run the plugin together."""


def check_environment():
    """Raise :class:`IncompatibleEnvironmentError` with the fix, or return."""
    low, high = SUPPORTED_PYTHONS
    if not low <= sys.version_info[:2] <= high:
        raise IncompatibleEnvironmentError(
            f'fcn_plugin supports Python {low[0]}.{low[1]}-{high[0]}.'
            f'{high[1]}; this is {sys.version.split()[0]}: use one of those.')
    import numpy as np
    import torch
    try:
        torch.from_numpy(np.zeros(1))
    except RuntimeError as exc:
        raise IncompatibleEnvironmentError(
            f'torch {torch.__version__} was built against numpy 1 and numpy '
            f'{np.__version__} is installed: pip install "numpy<2" (or a '
            f'torch >= 2.3). ({exc})') from None
