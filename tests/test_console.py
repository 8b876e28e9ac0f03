"""What a user reads: training and testing print progress and results; the
environment, config and hook dumps and upstream noise go to the log file."""
import pytest
from conftest import TINY_MODEL, config, data_root_options, run_tool

ROW = config('fcn_r101_voc_321_fp32.py')
NOISE = ('FileClient', 'HardDiskBackend', 'The prefix is not set',
         'suggested max number of worker', 'Advance dataloader',
         'Hooks will be executed', 'System environment', "model = dict(",
         '``build_loss`` would be deprecated')

pytestmark = pytest.mark.slow


def _console(proc):
    return (proc.stdout + proc.stderr).splitlines()


def test_training_console(tmp_path, voc_root):
    proc = run_tool('tools/train.py', ROW, '--work-dir', str(tmp_path),
                    '--cfg-options', *TINY_MODEL,
                    *data_root_options(voc_root, ('train', 'val')),
                    'train_cfg.max_iters=6', 'train_cfg.val_interval=3',
                    'default_hooks.logger.interval=2',
                    'train_dataloader.batch_size=4',
                    'train_dataloader.num_workers=8',
                    'val_dataloader.num_workers=8')
    lines = _console(proc)
    text = '\n'.join(lines)
    for noise in NOISE:
        assert noise not in text, noise
    assert sum('Iter(train)' in line for line in lines) == 3
    # one per-class table per validation: nothing printed twice
    assert sum('per class results' in line for line in lines) == 2
    assert sum('num_workers lowered' in line for line in lines) <= 1
    assert 'Environment, full config and hooks:' in text


@pytest.mark.compat  # with its fixture: tools/train.py, then tools/test.py
def test_testing_console(tmp_path, voc_root, tiny_checkpoint):
    proc = run_tool('tools/test.py', ROW, tiny_checkpoint, '--work-dir',
                    str(tmp_path), '--cfg-options', *TINY_MODEL,
                    *data_root_options(voc_root, ('test', )))
    lines = _console(proc)
    text = '\n'.join(lines)
    for noise in NOISE:
        assert noise not in text, noise
    assert 'Iter(test) [6/6]' in text and 'mIoU' in text
    assert 'Restored Python/NumPy/torch random states' not in text
    # the per-class table (21 classes + frame) and a few lines around it;
    # mmseg's own test.py printed ~480 lines here
    assert len(lines) < 45, text
