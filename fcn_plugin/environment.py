"""Refuse, at import, a Python/torch/numpy combination that cannot work.

torch 2.1 and 2.2 were compiled against numpy 1. Beside numpy 2 they still
import, but every ``torch.from_numpy`` raises ``RuntimeError: Numpy is not
available``, which surfaces far away (the first image a dataset loads) and
reads like a broken file. The check below makes that exact call once and
turns the failure into one line with the fix. The OpenMMLab stack is an
extra of the package (upstream or the onedl fork, as mmcv is in
OpenMMLab's own packages), so a plain ``pip install fcn_plugin`` has none:
that is named too, with both ways to install one. Tested combinations: the
README's compatibility table.
"""
import importlib.util
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
    missing = [name for name in ('mmengine', 'mmcv', 'mmseg')
               if not _importable(name)]
    if missing == ['mmcv']:
        raise IncompatibleEnvironmentError(
            'fcn_plugin needs mmcv and none is installed: pip install '
            'mmcv-lite==2.1.0 (no compiler; in a checkout: pip install -e '
            '".[openmmlab,lite]"), make install MMCV=full (compiled ops), or '
            'on the onedl stack MMCV_WITH_OPS=0 pip install onedl-mmcv==2.3.6.')
    if missing:
        raise IncompatibleEnvironmentError(
            f'fcn_plugin needs an OpenMMLab stack and {", ".join(missing)} '
            'is not installed: pip install "fcn_plugin[openmmlab,lite]" '
            '(upstream; in a checkout: pip install -e ".[openmmlab,lite]" or '
            'make install), or the onedl fork: MMCV_WITH_OPS=0 pip install '
            'onedl-mmcv==2.3.6, then pip install "fcn_plugin[onedl]" '
            '(make install STACK=onedl).')


def _importable(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a blocked or broken entry
        return False
