"""DDP on a machine without GPUs: gloo, plain BatchNorm, no device ids.

torch's ``SyncBatchNorm`` only works on GPUs: ``DistributedDataParallel``
refuses a CPU model that holds it ("SyncBatchNorm layers only work with GPU
modules"). The row configs use ``SyncBN`` so that statistics span GPUs. On
CPU this wrapper turns it back into per-process BatchNorm (as mmengine does
for a single process) and says so; ``tools/train.py`` / ``tools/test.py``
select it with ``--launcher pytorch`` or ``slurm`` when no GPU is present.
"""
import logging

from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for CPU processes (gloo).

    Args:
        module (nn.Module): The model; its ``SyncBatchNorm`` layers become
            ``BatchNorm`` (statistics per process).
        **kwargs: As ``MMDistributedDataParallel``; ``device_ids`` is dropped
            (a CPU module has none).
    """

    def __init__(self, module, **kwargs):
        kwargs.pop('device_ids', None)
        print_log('No GPU: DDP runs on CPU over gloo; SyncBN layers are plain '
                  'BatchNorm here (statistics per process).', logger='current',
                  level=logging.WARNING)
        super().__init__(module=revert_sync_batchnorm(module), **kwargs)
