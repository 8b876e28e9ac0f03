from .atomic_checkpoints import AtomicCheckpointHook, AtomicLocalBackend
from .concise_console_runner import ConciseConsoleRunner
from .cpu_distributed import CPUDistributedDataParallel
from .mixed_precision_optim_wrapper import MixedPrecisionOptimWrapper
from .preemption_hook import PreemptionHook, worker_ignores_sigint
from .random_state_hook import RandomStateHook
from .resumable_train_loop import ResumableIterBasedTrainLoop
from .resume_safe_runner import ResumeSafeRunner

__all__ = [
    'AtomicCheckpointHook', 'AtomicLocalBackend', 'ConciseConsoleRunner',
    'CPUDistributedDataParallel', 'MixedPrecisionOptimWrapper',
    'PreemptionHook', 'RandomStateHook', 'ResumableIterBasedTrainLoop',
    'ResumeSafeRunner', 'worker_ignores_sigint'
]
