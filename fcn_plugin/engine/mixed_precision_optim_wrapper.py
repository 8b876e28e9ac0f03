"""Mixed-precision optimizer wrapper that also runs on a CPU-only machine.

On a GPU (or any device mmengine's ``AmpOptimWrapper`` supports) this *is*
``AmpOptimWrapper``: fp16 autocast + ``GradScaler`` with a dynamic loss scale,
the reference's ``torch.cuda.amp`` recipe (rows 1 and 3).

``AmpOptimWrapper`` refuses to start on CPU. Here, instead, autocast runs in
bfloat16 (the only reduced precision CPU autocast supports) and the loss
scaler is a disabled ``GradScaler`` (bf16 has fp32's exponent range, so no
scaling is needed). Deviation from the reference, CPU only: bf16 instead of
fp16. That is faster than fp32 only on a CPU with bf16 instructions
(:mod:`.cpu_bf16`; 1.8x for R101 training on AVX512-BF16) and slower
without them (~2x with AVX-512, ~25x with AVX2 only), so
``cpu_dtype='auto'`` (the default) runs bf16 where the CPU has them and
float32 elsewhere, and says which in one line;
``'bfloat16'`` or ``'float32'`` chooses.

Fast path (not the reference's recipe): ``dtype='bfloat16'`` on a GPU with
bf16 runs bf16 autocast WITHOUT a loss scaler (bf16 has fp32's exponent
range, nothing to scale), ``--cfg-options optim_wrapper.dtype=bfloat16``.
"""
import logging
from contextlib import contextmanager

import torch
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

from ..errors import UserInputError
from .cpu_bf16 import native_cpu_bf16


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
        cpu_dtype (str): On CPU: ``'auto'`` (default) bf16 autocast where
            the CPU has bf16 instructions, float32 (no autocast) elsewhere;
            ``'bfloat16'`` or ``'float32'`` always.
        **kwargs: ``optimizer``, ``clip_grad``, ... as ``OptimWrapper``.
    """

    def __init__(self, loss_scale='dynamic', dtype=None, cpu_dtype='auto',
                 **kwargs):
        self.cpu_fp32 = False
        if get_device() != 'cpu':
            super().__init__(loss_scale=loss_scale, dtype=dtype, **kwargs)
            if self.cast_dtype == torch.bfloat16:  # no scaling to do
                self.loss_scaler = _disabled_grad_scaler()
                self._scale_update_param = None
            return
        if cpu_dtype not in ('auto', 'bfloat16', 'float32'):
            raise UserInputError(
                "optim_wrapper.cpu_dtype must be 'auto', 'bfloat16' or "
                f"'float32', not {cpu_dtype!r}")
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = _disabled_grad_scaler()
        self.cast_dtype = torch.bfloat16
        native, why = native_cpu_bf16()
        self.cpu_fp32 = cpu_dtype == 'float32' or (cpu_dtype == 'auto'
                                                   and not native)
        if cpu_dtype == 'float32':
            message = 'in float32 on CPU (optim_wrapper.cpu_dtype=float32)'
        elif self.cpu_fp32:
            message = (f'in float32 on this CPU: {why}, and bf16 autocast '
                       'would be slower than float32 (~2x with AVX-512, ~25x '
                       'with AVX2; to force it: --cfg-options '
                       'optim_wrapper.cpu_dtype=bfloat16)')
        else:
            message = f'as bfloat16 autocast on CPU, no loss scaling ({why})'
            if not native:
                message += (': expect it slower than float32 (~2x with '
                            'AVX-512, ~25x with AVX2), which '
                            'optim_wrapper.cpu_dtype=auto picks here')
        print_log(f'No GPU: mixed precision runs {message}.',
                  logger='current',
                  level=logging.INFO if native or cpu_dtype == 'float32'
                  else logging.WARNING)

    @contextmanager
    def optim_context(self, model):
        context = OptimWrapper.optim_context if self.cpu_fp32 else \
            AmpOptimWrapper.optim_context
        with context(self, model):
            yield
