from .concise_console_runner import ConciseConsoleRunner
from .cpu_distributed import CPUDistributedDataParallel
from .mixed_precision_optim_wrapper import MixedPrecisionOptimWrapper
from .random_state_hook import RandomStateHook

__all__ = [
    'ConciseConsoleRunner', 'CPUDistributedDataParallel',
    'MixedPrecisionOptimWrapper', 'RandomStateHook'
]
