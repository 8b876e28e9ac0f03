"""Mixed-precision optimizer wrapper that also runs on a CPU-only machine.

On a GPU (or any device mmengine's ``AmpOptimWrapper`` supports) this *is*
``AmpOptimWrapper``: fp16 autocast + ``GradScaler`` with a dynamic loss scale,
the reference's ``torch.cuda.amp`` recipe (rows 1 and 3).

``AmpOptimWrapper`` refuses to start on CPU. Here, instead, autocast runs in
bfloat16 (the only reduced precision CPU autocast supports) and the loss
scaler is a disabled ``GradScaler`` (bf16 has fp32's exponent range, so no
scaling is needed). Deviation from the reference, CPU only: bf16 instead of
fp16. It is slow on CPUs without native bf16 (AVX512-BF16/AMX): measured
~27x slower than fp32 for R101 on an AVX2-only CPU, so ``cpu_dtype='float32'``
turns autocast off on CPU (e.g. to debug a mixed-precision config on a laptop).

Fast path (not the reference's recipe): ``dtype='bfloat16'`` on a GPU with
bf16 runs bf16 autocast WITHOUT a loss scaler (bf16 has fp32's exponent
range, nothing to scale), ``--cfg-options optim_wrapper.dtype=bfloat16``.
"""
from contextlib import contextmanager

import torch
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


def _disabled_grad_scaler():
    """A pass-through ``GradScaler``: ``torch.amp.GradScaler`` from torch
    2.3, ``torch.cuda.amp.GradScaler`` (deprecated later) before."""
    if hasattr(torch.amp, 'GradScaler'):
        return torch.amp.GradScaler('cpu', enabled=False)
    return torch.cuda.amp.GradScaler(enabled=False)


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` on accelerators; bf16 autocast on CPU.

    Args:
        loss_scale (str | float | dict): As ``AmpOptimWrapper``; ignored on CPU.
        dtype (str | torch.dtype, optional): Autocast dtype on accelerators
            (default fp16).
        cpu_dtype (str): ``'bfloat16'`` (default) or ``'float32'`` (no
            autocast) when running on CPU.
        **kwargs: ``optimizer``, ``clip_grad``, ... as ``OptimWrapper``.
    """

    def __init__(self, loss_scale='dynamic', dtype=None, cpu_dtype='bfloat16',
                 **kwargs):
        self.cpu_fp32 = False
        if get_device() != 'cpu':
            super().__init__(loss_scale=loss_scale, dtype=dtype, **kwargs)
            if self.cast_dtype == torch.bfloat16:  # no scaling to do
                self.loss_scaler = _disabled_grad_scaler()
                self._scale_update_param = None
            return
        assert cpu_dtype in ('bfloat16', 'float32'), \
            f"cpu_dtype must be 'bfloat16' or 'float32', got {cpu_dtype!r}"
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = _disabled_grad_scaler()
        self.cast_dtype = torch.bfloat16
        self.cpu_fp32 = cpu_dtype == 'float32'
        print_log(
            'No GPU: mixed precision runs in float32 on CPU '
            '(optim_wrapper.cpu_dtype=float32).' if self.cpu_fp32 else
            'No GPU: mixed precision runs as bfloat16 autocast on CPU (no '
            'loss scaling); it can be far slower than fp32 on CPUs without '
            'native bf16 (optim_wrapper.cpu_dtype=float32 turns it off).',
            logger='current')

    @contextmanager
    def optim_context(self, model):
        context = OptimWrapper.optim_context if self.cpu_fp32 else \
            AmpOptimWrapper.optim_context
        with context(self, model):
            yield
