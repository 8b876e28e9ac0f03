"""``--resume`` with a changed learning rate or schedule length.

mmengine's resume loads the schedulers' and the optimizer's state from the
checkpoint, so what the config says now is silently dropped: a finished
4-iteration run resumed with ``train_cfg.max_iters=6`` trained iterations 5
and 6 at lr 0 (its schedule had ended), and a lowered
``optim_wrapper.optimizer.lr`` trained at the checkpoint's rate. Here:

- **another learning rate** is what a user lowers after a divergence: the
  run continues its schedule at the new rate. Every scheduled value is the
  base rate times the schedule's factor at that iteration (poly: ``(1 -
  i / N) ** 0.9``), so the resumed iteration's rate and every later one
  are scaled by new base / old base, and a log line says so;
- **another length** (``train_cfg.max_iters``, which sets the poly
  schedule's end) cannot continue the same schedule: its rate at the
  resumed iteration would jump. That stops before the first step, with the
  way that works: a new run from the checkpoint's weights
  (``load_from=``, another ``--work-dir``, a fresh schedule). It is checked
  before mmengine writes anything into the work dir.
"""
from ..errors import UserInputError


def _schedulers(param_schedulers):
    if isinstance(param_schedulers, dict):  # one list per optimizer
        return [s for group in param_schedulers.values() for s in group]
    return list(param_schedulers or [])


def planned_ends(param_scheduler, max_iters):
    """The ``end`` of each iteration-based scheduler of a config (mmengine
    makes a missing one ``train_cfg.max_iters``), as built: ``None`` for
    the others."""
    from mmengine.registry import PARAM_SCHEDULERS

    from .reference_poly_lr import ReferencePolyLR
    configs = param_scheduler if isinstance(param_scheduler, (list, tuple)) \
        else [param_scheduler]
    ends = []
    for cfg in configs:
        if not isinstance(cfg, dict) or cfg.get('by_epoch', True):
            ends.append(None)
            continue
        end = cfg.get('end', max_iters)
        kind = PARAM_SCHEDULERS.get(cfg.get('type'))
        reference = isinstance(kind, type) and \
            issubclass(kind, ReferencePolyLR)
        ends.append(end + 1 if reference and end is not None else end)
    return ends


def refuse_another_length(checkpoint, param_scheduler, max_iters):
    """Stop, before anything is written, when the run in ``checkpoint``
    was scheduled over another number of iterations than this config."""
    from ..weights import load_checkpoint_file
    state = load_checkpoint_file(checkpoint)
    saved = state.get('param_schedulers')
    done = (state.get('meta') or {}).get('iter', 0)
    if not isinstance(saved, list) or (max_iters is not None and
                                       done >= max_iters):
        return  # nothing left to train: the runner's own line says so
    for end, state in zip(planned_ends(param_scheduler, max_iters), saved):
        if end is None or not isinstance(state, dict) or \
                state.get('end') in (None, end):
            continue
        shift = end - max_iters if max_iters is not None else 0
        raise UserInputError(
            f'--resume {checkpoint}: that run\'s learning-rate schedule ends '
            f'at iteration {state["end"] - shift}, this config\'s at '
            f'{end - shift} (train_cfg.max_iters): a resumed run continues '
            'its own schedule, which cannot be lengthened or shortened. To '
            'train on from its weights with a new schedule, run without '
            f'--resume, with --cfg-options load_from={checkpoint} '
            f'train_cfg.max_iters={end - shift} and another --work-dir')


def schedule_plan(param_schedulers):
    """The config's base values, ``(scheduler, base values)`` each, taken
    before the checkpoint's state replaces them."""
    return [(s, list(s.base_values)) for s in _schedulers(param_schedulers)]


def apply_schedule_plan(plan, param_schedulers, checkpoint):
    """After the checkpoint's state is loaded, take the config's base
    rates; return the lines saying what changed."""
    lines, scaled = [], set()  # a value scaled once, whatever schedules it
    for scheduler, bases in plan:
        saved = list(scheduler.base_values)
        if saved == bases:
            continue
        name = scheduler.param_name
        for group, old, new in zip(scheduler.optimizer.param_groups, saved,
                                   bases):
            if (id(group), name) not in scaled:
                scaled.add((id(group), name))
                group[name] = group[name] * new / old if old else new
                group[f'initial_{name}'] = new
        scheduler.base_values = bases
        lines.append(
            f'--resume: {name} {", ".join(f"{b:g}" for b in bases)} from the '
            f'config (the checkpoint\'s run: '
            f'{", ".join(f"{b:g}" for b in saved)}): its '
            f'{type(scheduler).__name__} schedule continues at iteration '
            f'{scheduler.last_step} at the new rate')
    return lines
