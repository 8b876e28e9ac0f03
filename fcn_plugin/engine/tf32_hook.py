"""TF32 on or off for a run's float32 convolutions and matmuls, from the
config's ``allow_tf32``.

The reference's fp32 row trained in IEEE float32: its GPU (an RTX 2080 Ti)
has no TF32. PyTorch's default on Ampere and newer GPUs runs float32
convolutions in TF32 (10-bit mantissa), so the same config computes
differently there. The fp32 row sets ``allow_tf32 = False``;
``--cfg-options allow_tf32=True`` trades that precision for speed. Left
out (``None``), torch's defaults stay. Mixed-precision rows run their
convolutions in fp16/bf16, where TF32 does not apply.

Set through the switches the installed torch has:
``torch.backends.cudnn.conv.fp32_precision`` and
``torch.backends.cuda.matmul.fp32_precision`` (``'ieee'``/``'tf32'``,
torch >= 2.9), else ``allow_tf32`` of cuDNN and cuBLAS (older torch).
"""
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


def set_tf32(allowed):
    """Allow TF32 (True) or force IEEE float32 (False) for convolutions and
    matmuls."""
    conv = getattr(torch.backends.cudnn, 'conv', None)
    if conv is not None and hasattr(conv, 'fp32_precision'):
        precision = 'tf32' if allowed else 'ieee'
        conv.fp32_precision = precision
        torch.backends.cuda.matmul.fp32_precision = precision
    else:
        torch.backends.cudnn.allow_tf32 = allowed
        torch.backends.cuda.matmul.allow_tf32 = allowed


def tf32_allowed():
    """(convolutions, matmuls): whether each may run in TF32 now."""
    conv = getattr(torch.backends.cudnn, 'conv', None)
    if conv is not None and hasattr(conv, 'fp32_precision'):
        return (conv.fp32_precision == 'tf32',
                torch.backends.cuda.matmul.fp32_precision == 'tf32')
    return (torch.backends.cudnn.allow_tf32,
            torch.backends.cuda.matmul.allow_tf32)


@HOOKS.register_module()
class TF32Hook(Hook):
    """Applies the config's ``allow_tf32`` before the first iteration of
    training, validation or testing, and says so in the log."""

    priority = 'VERY_HIGH'

    def before_run(self, runner):
        allowed = runner.cfg.get('allow_tf32')
        if allowed is None:
            return
        set_tf32(bool(allowed))
        runner.logger.info(
            'TF32 ' + ('allowed for float32 convolutions and matmuls '
                       '(allow_tf32=True: faster, not the reference\'s IEEE '
                       'float32)' if allowed else
                       'off: float32 convolutions and matmuls in IEEE '
                       'float32, as the reference (allow_tf32=False; '
                       '--cfg-options allow_tf32=True for speed)'))
