"""Mixed precision on a CPU: bf16 autocast only where the CPU has bf16
instructions (the kernel's CPU flags say which), float32 elsewhere, and a
wrong ``cpu_dtype`` named in one line."""
import pytest
import torch

from fcn_plugin.engine import MixedPrecisionOptimWrapper
from fcn_plugin.engine.cpu_bf16 import native_cpu_bf16
from fcn_plugin.errors import UserInputError


def _cpu_flags():
    try:
        with open('/proc/cpuinfo') as f:
            return next(line.split(':', 1)[1].split() for line in f
                        if line.startswith('flags'))
    except (OSError, StopIteration):
        pytest.skip('no /proc/cpuinfo flags on this machine')


@pytest.fixture
def no_isa_limit(monkeypatch):
    monkeypatch.delenv('ONEDNN_MAX_CPU_ISA', raising=False)
    monkeypatch.delenv('DNNL_MAX_CPU_ISA', raising=False)


def test_native_bf16_is_what_the_cpu_flags_say(no_isa_limit):
    flags = _cpu_flags()
    has = 'avx512_bf16' in flags or 'amx_bf16' in flags
    native, why = native_cpu_bf16()
    assert native == has, why


@pytest.mark.parametrize('limit', ['AVX2', 'avx512_core', 'DNNL:AVX'])
def test_onednn_held_below_bf16_is_not_native(no_isa_limit, monkeypatch,
                                              limit):
    name, _, value = limit.rpartition(':')
    monkeypatch.setenv('DNNL_MAX_CPU_ISA' if name else 'ONEDNN_MAX_CPU_ISA',
                       value)
    native, why = native_cpu_bf16()
    assert not native and value.upper() in why


def test_onednn_allowed_bf16_keeps_the_hardware_answer(no_isa_limit,
                                                       monkeypatch):
    flags = _cpu_flags()
    monkeypatch.setenv('ONEDNN_MAX_CPU_ISA', 'AVX512_CORE_BF16')
    assert native_cpu_bf16()[0] == ('avx512_bf16' in flags
                                    or 'amx_bf16' in flags)


def _autocast_dtype(cpu_dtype):
    """The dtype a Linear layer computes in inside the wrapper's context."""
    model = torch.nn.Linear(4, 4)
    wrapper = MixedPrecisionOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        cpu_dtype=cpu_dtype)
    with wrapper.optim_context(model):
        return model(torch.randn(2, 4)).dtype


def test_cpu_dtype_chooses_the_autocast(no_isa_limit, monkeypatch):
    assert _autocast_dtype('float32') == torch.float32
    assert _autocast_dtype('bfloat16') == torch.bfloat16
    monkeypatch.setenv('ONEDNN_MAX_CPU_ISA', 'AVX2')  # as an AVX2-only CPU
    assert _autocast_dtype('auto') == torch.float32
    assert _autocast_dtype('bfloat16') == torch.bfloat16  # forced


def test_auto_keeps_bf16_where_the_cpu_has_it(no_isa_limit, monkeypatch):
    """The decision on a CPU with bf16 instructions, on any machine (what
    this one has is checked against its flags above)."""
    from fcn_plugin.engine import cpu_bf16
    monkeypatch.setattr(cpu_bf16, '_hardware_bf16', lambda: True)
    assert _autocast_dtype('auto') == torch.bfloat16
    monkeypatch.setenv('ONEDNN_MAX_CPU_ISA', 'AVX512_CORE')  # held below it
    assert _autocast_dtype('auto') == torch.float32


def test_wrong_cpu_dtype_is_one_line():
    with pytest.raises(UserInputError, match="cpu_dtype must be 'auto', "
                       "'bfloat16' or 'float32', not 'fp16'"):
        _autocast_dtype('fp16')
