"""Hostile checkpoints: real torch.save files whose pickle runs code when loaded
by an unrestricted unpickler (each proven to do so in the tests).

Every gadget's payload creates the file ``marker`` and returns a normal
checkpoint dict, so a tool that ran it would carry on and exit 0.
"""
import functools
import operator
import os

import torch
from mmengine.logging.history_buffer import HistoryBuffer


class Call:
    """Pickles as ``func(*args)``: ``func`` may itself be a gadget."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args

    def __call__(self, *args):  # pickle wants a callable; never called here
        raise NotImplementedError


def _payload(marker):
    return (f"__import__('pathlib').Path({str(marker)!r}).touch() or "
            "{'state_dict': {}, 'meta': {}}")


def getattr_chain(marker):
    """eval reached through getattr alone, from a class the loader allows:
    HistoryBuffer.__init__.__globals__['__builtins__']['eval']."""
    init = Call(getattr, HistoryBuffer, '__init__')
    module_globals = Call(getattr, init, '__globals__')
    builtins_dict = Call(Call(getattr, module_globals, 'get'), '__builtins__')
    evaluate = Call(Call(getattr, builtins_dict, 'get'), 'eval')
    return Call(evaluate, _payload(marker))


def rebuild_from_type_eval(marker):
    """torch's own _rebuild_from_type_v2(func, type, args, state) calls
    func(*args): with func = eval (found through getattr)."""
    evaluate = Call(getattr, Call(__import__, 'builtins'), 'eval')
    return Call(torch._tensor._rebuild_from_type_v2, evaluate, torch.Tensor,
                (_payload(marker), ), {})


def rebuild_from_type_system(marker):
    """The same with os.system named directly."""
    return Call(torch._tensor._rebuild_from_type_v2, os.system, torch.Tensor,
                (f'touch {marker}', ), {})


def exec_global(marker):
    """builtins.exec as a plain global."""
    return {'state_dict': Call(exec, _payload(marker).split(' or ')[0])}


def partial_system(marker):
    """functools.partial(os.system, cmd)()."""
    return {'meta': Call(functools.partial(os.system, f'touch {marker}'))}


def attrgetter_system(marker):
    """operator.attrgetter('system')(os)(cmd), os from __import__."""
    system = Call(operator.attrgetter('system'), Call(__import__, 'os'))
    return {'state_dict': {}, 'meta': Call(system, f'touch {marker}')}


GADGETS = {f.__name__: f for f in (
    getattr_chain, rebuild_from_type_eval, rebuild_from_type_system,
    exec_global, partial_system, attrgetter_system)}


def write_gadget(name, path, marker):
    """torch.save the gadget ``name`` to ``path`` (a real zip checkpoint)."""
    torch.save(GADGETS[name](marker), str(path))
    return str(path)
