from .mixed_precision_optim_wrapper import MixedPrecisionOptimWrapper
from .random_state_hook import RandomStateHook

__all__ = ['MixedPrecisionOptimWrapper', 'RandomStateHook']
