"""The reference's poly schedule: ``lr_i = base * (1 - i / N) ** power``.

The reference steps ``(1 - it / total) ** 0.9`` for ``it = 0 .. total - 1``
(its last iteration still has a small positive lr). mmengine's ``PolyLR``
decays over ``end - begin - 1`` steps instead, so with the default ``end``
(the train loop's ``max_iters``) it computes ``(1 - i / (N - 1)) ** power``
and trains its last iteration at lr 0. This is ``PolyLR`` with one more step
in its range: ``N = end - begin`` decay steps, and ``end`` still defaults to
``train_cfg.max_iters``, so ``--cfg-options train_cfg.max_iters=...`` keeps
the reference's formula.
"""
from mmengine.optim.scheduler import PolyLR
from mmengine.optim.scheduler.param_scheduler import INF
from mmengine.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class ReferencePolyLR(PolyLR):
    """``PolyLR`` giving ``base * (1 - i / (end - begin)) ** power`` at step
    ``i`` of ``begin .. end - 1`` (plus ``eta_min``).

    Args:
        end (int): The number of iterations ``N`` (the runner sets it to
            ``train_cfg.max_iters`` when the config leaves it out).
        **kwargs: As mmengine's ``PolyLR`` (``power``, ``eta_min``,
            ``begin``, ``by_epoch``, ...).
    """

    def __init__(self, optimizer, end=INF, **kwargs):
        super().__init__(optimizer, end=end if end == INF else end + 1,
                         **kwargs)
