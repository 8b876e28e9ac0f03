"""Whether this CPU runs bf16 autocast on bf16 instructions.

CPU bf16 autocast is fast only where oneDNN, which runs the convolutions,
has bf16 instructions: AVX512-BF16 or AMX (Intel Cooper Lake, Sapphire
Rapids and later; AMD Zen 4 and later). Elsewhere its bf16 convolutions fall
back to slow code. Measured on a 2-core AMD EPYC with AVX512-BF16, R101
training at batch 2 (``benchmarks/train_iteration.py``): bf16 3.5 s per
iteration against 6.4 s in fp32; the same machine with oneDNN held to AVX2
(``ONEDNN_MAX_CPU_ISA=AVX2``, as on an AVX2-only CPU) 193 s against 7.8 s;
held to AVX-512 without bf16 (``AVX512_CORE``), one bf16 convolution took
2.2x its fp32 time. So "native" means both: the hardware has the
instructions (torch's own report, or the kernel's CPU flags on a torch
without it) and ``ONEDNN_MAX_CPU_ISA`` (or its old name ``DNNL_MAX_CPU_ISA``)
does not hold oneDNN below them.
"""
import os

import torch

# oneDNN ISA levels (ONEDNN_MAX_CPU_ISA values) without bf16 instructions
ISAS_WITHOUT_BF16 = ('SSE41', 'AVX', 'AVX2', 'AVX2_VNNI', 'AVX512_CORE',
                     'AVX512_CORE_VNNI')
_TORCH_CHECKS = ('_is_avx512_bf16_supported', '_is_amx_tile_supported')
_CPU_FLAGS = ('avx512_bf16', 'amx_bf16')


def native_cpu_bf16():
    """``(native, why)``: whether bf16 autocast runs on bf16 instructions
    here, and what was found, for a log line."""
    limit = (os.environ.get('ONEDNN_MAX_CPU_ISA')
             or os.environ.get('DNNL_MAX_CPU_ISA') or '').strip().upper()
    if limit in ISAS_WITHOUT_BF16:
        return False, (f'ONEDNN_MAX_CPU_ISA={limit} keeps oneDNN from its '
                       'bf16 instructions')
    if _hardware_bf16():
        return True, 'the CPU has AVX512-BF16 or AMX'
    return False, ('the CPU has neither AVX512-BF16 nor AMX (torch uses '
                   f'{_capability()})')


def _hardware_bf16():
    checks = [getattr(torch.cpu, name, None) for name in _TORCH_CHECKS]
    if all(checks):
        return any(check() for check in checks)
    try:  # a torch without these checks: the kernel's CPU flags
        with open('/proc/cpuinfo') as f:
            flags = next((line.split(':', 1)[1].split() for line in f
                          if line.startswith('flags')), [])
    except OSError:
        return False
    return any(flag in flags for flag in _CPU_FLAGS)


def _capability():
    get = getattr(torch.backends.cpu, 'get_cpu_capability', None)
    return get() if get else 'an unreported instruction set'
