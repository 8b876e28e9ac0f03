from .atomic_checkpoints import AtomicCheckpointHook, AtomicLocalBackend
from .concise_console_runner import ConciseConsoleRunner
from .cpu_distributed import CPUDistributedDataParallel
from .deferred_runtime_info_hook import DeferredRuntimeInfoHook
from .mixed_precision_optim_wrapper import MixedPrecisionOptimWrapper
from .non_finite_loss_hook import NonFiniteLossHook
from .preemption_hook import (PreemptionHook,
                              worker_ignores_terminal_signals)
from .random_state_hook import RandomStateHook
from .reference_poly_lr import ReferencePolyLR
from .resumable_train_loop import ResumableIterBasedTrainLoop
from .resume_safe_runner import ResumeSafeRunner
from .tf32_hook import TF32Hook

__all__ = [
    'AtomicCheckpointHook', 'AtomicLocalBackend', 'ConciseConsoleRunner',
    'CPUDistributedDataParallel', 'DeferredRuntimeInfoHook',
    'MixedPrecisionOptimWrapper',
    'NonFiniteLossHook',
    'PreemptionHook', 'RandomStateHook', 'ReferencePolyLR',
    'ResumableIterBasedTrainLoop',
    'ResumeSafeRunner', 'TF32Hook', 'worker_ignores_terminal_signals'
]
