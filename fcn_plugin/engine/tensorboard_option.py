"""``tensorboard = True``: a run also logs to TensorBoard.

mmengine's ``TensorboardVisBackend`` receives what its ``LoggerHook`` hands
every backend (the losses, ``lr`` and the other training values at each
logging interval; ``mIoU``, ``mAcc``, ``aAcc`` at each validation), in
``<work_dir>/<timestamp>/vis_data/`` beside ``LocalVisBackend``'s
``scalars.json``. A list of backends cannot be written as a
``--cfg-options`` value, so the configs hold one switch,
``--cfg-options tensorboard=True``, that the runner applies; a config can
also list its ``visualizer.vis_backends`` itself. The ``tensorboard``
package is an optional extra (``pip install "fcn_plugin[tensorboard]"``);
without it the run stops before it starts, not at its first log line.
"""
import copy

from ..errors import UserInputError

BACKEND = 'TensorboardVisBackend'


def require_tensorboard():
    """Raise :class:`UserInputError` unless torch's SummaryWriter imports
    (what ``TensorboardVisBackend`` uses)."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError as exc:
        raise UserInputError(
            f'tensorboard=True needs the tensorboard package ({exc}): '
            'pip install tensorboard (or the extra: pip install '
            '"fcn_plugin[tensorboard]"), or leave the option out.') from None


def with_tensorboard(visualizer):
    """A copy of the ``visualizer`` config with ``TensorboardVisBackend``
    among its ``vis_backends`` (added once)."""
    visualizer = copy.deepcopy(visualizer) if visualizer else dict(
        type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
    backends = list(visualizer.get('vis_backends') or [])
    if not any(b.get('type') in (BACKEND, f'mmengine.{BACKEND}')
               for b in backends):
        backends.append(dict(type=BACKEND))
    visualizer['vis_backends'] = backends
    return visualizer
