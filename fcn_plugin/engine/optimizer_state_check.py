"""An optimizer state that belongs to the model it is resumed into.

torch's ``Optimizer.load_state_dict`` checks only how many parameters each
group holds. A state saved from a model with other layer widths loads, and
the first step dies deep inside the optimizer (SGD: ``The size of tensor a
(64) must match the size of tensor b (32)``). After ``--resume`` has loaded
it, each tensor of the state that is kept per parameter (SGD's momentum
buffer, Adam's moments) must broadcast to its parameter's shape, as the
update uses it (so factored statistics, e.g. Adafactor's, pass).
"""
import torch


def foreign_optimizer_state(optim_wrapper, model):
    """The first ``(parameter name, state key, state shape, parameter
    shape)`` whose state cannot be this parameter's, or ``None``."""
    names = {param: name.replace('module.', '', 1)
             for name, param in model.named_parameters()}
    wrappers = getattr(optim_wrapper, 'optim_wrappers', None) or {
        '': optim_wrapper}  # an OptimWrapperDict, or one wrapper
    for wrapper in wrappers.values():
        optimizer = wrapper.optimizer
        for group in optimizer.param_groups:
            for param in group['params']:
                for key, value in optimizer.state.get(param, {}).items():
                    if torch.is_tensor(value) and value.dim() and \
                            not _broadcasts(value.shape, param.shape):
                        return (names.get(param, 'a parameter'), key,
                                tuple(value.shape), tuple(param.shape))
    return None


def _broadcasts(shape, target):
    try:
        return torch.broadcast_shapes(shape, target) == target
    except RuntimeError:
        return False
