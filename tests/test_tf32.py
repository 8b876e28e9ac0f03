"""The fp32 row runs IEEE float32 (the reference's 2080 Ti has no TF32);
allow_tf32=True gives TF32 back; rows that leave it out keep torch's
defaults. Read back through torch's own switches."""
import pytest
import torch

import fcn_plugin  # noqa: F401  (registers TF32Hook)
from conftest import TINY_MODEL, config, data_root_options, run_tool
from fcn_plugin.engine.tf32_hook import set_tf32, tf32_allowed
from fcn_plugin.tooling.builder import load_config


def _torch_switches():
    conv = getattr(torch.backends.cudnn, 'conv', None)
    if conv is not None and hasattr(conv, 'fp32_precision'):
        return (conv.fp32_precision, torch.backends.cuda.matmul.fp32_precision)
    return (torch.backends.cudnn.allow_tf32,
            torch.backends.cuda.matmul.allow_tf32)


@pytest.fixture
def restore_switches():
    before = tf32_allowed()
    yield
    set_tf32(before[0])


def test_set_tf32_drives_torchs_switches(restore_switches):
    set_tf32(False)
    assert tf32_allowed() == (False, False)
    assert set(_torch_switches()) <= {'ieee', False}
    set_tf32(True)
    assert tf32_allowed() == (True, True)
    assert set(_torch_switches()) <= {'tf32', True}


def test_rows_say_what_they_run():
    assert load_config(config('fcn_r101_voc_321_fp32.py')).allow_tf32 is False
    for row in ('fcn_r101_voc_321.py', 'fcn_r101_cityscapes_256x512.py'):
        assert load_config(config(row)).allow_tf32 is None


@pytest.mark.parametrize('option, line', [
    ([], 'TF32 off: float32 convolutions and matmuls in IEEE float32'),
    (['allow_tf32=True'], 'TF32 allowed for float32 convolutions'),
])
def test_the_fp32_row_logs_its_tf32_setting(tmp_path, voc_root, option,
                                            line):
    proc = run_tool(
        'tools/train.py', config('fcn_r101_voc_321_fp32.py'), '--work-dir',
        str(tmp_path), '--cfg-options', *TINY_MODEL,
        *data_root_options(voc_root, ('train', 'val')),
        'train_cfg.max_iters=1', 'train_cfg.val_interval=2',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', *option)
    assert line in proc.stdout + proc.stderr
    assert 'warning:' not in proc.stderr, proc.stderr
