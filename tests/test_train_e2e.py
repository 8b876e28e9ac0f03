"""End to end through tools/train.py and tools/test.py (slow; run in CI).

* the real R101 row configs, shortened to 1 iteration (batch 2) and 2
  validation images, train then test;
* a tiny learnable case whose mIoU must rise clearly;
* --amp on a CPU without bf16 instructions, 2-process DDP (gloo). Resume: test_resume.py.
"""
import os
import re
import sys

import pytest
import torch
from conftest import REPO, TINY_MODEL, config, data_root_options, run_tool

pytestmark = pytest.mark.slow


def _mious(log):
    pattern = r'Iter\((?:val|test)\).*?mIoU: ([\d.]+)'
    return [float(v) for v in re.findall(pattern, log)]


@pytest.fixture(scope='module')
def imagenet_checkpoint(tmp_path_factory):
    """Random weights in torchvision's ImageNet ResNet-101 format."""
    from fcn_plugin.tooling.builder import build_segmentor, load_config
    backbone = build_segmentor(
        load_config(config('fcn_r101_voc_321.py'))).backbone
    state = dict(backbone.state_dict())
    state['fc.weight'] = torch.zeros(1000, 2048)
    state['fc.bias'] = torch.zeros(1000)
    path = tmp_path_factory.mktemp('imagenet') / 'resnet101-5d3b4d8f.pth'
    torch.save(state, path)
    return str(path)


@pytest.mark.parametrize('cfg_name,data', [
    pytest.param('fcn_r101_voc_321.py', 'voc_root', marks=pytest.mark.smoke),
    ('fcn_r101_cityscapes_256x512.py', 'cityscapes_root'),
])
def test_r101_row_config_trains_and_tests(request, tmp_path, cfg_name, data,
                                          imagenet_checkpoint):
    root = request.getfixturevalue(data)
    options = [  # one iteration of a real batch; 2 validation images
        *data_root_options(root), 'train_cfg.max_iters=1',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=1',
        'val_dataloader.num_workers=1', 'default_hooks.checkpoint.interval=1',
        'val_dataloader.dataset.indices=2', 'test_dataloader.dataset.indices=2',
        'default_hooks.logger.interval=1',
        f'model.backbone.init_cfg.checkpoint={imagenet_checkpoint}',
    ]  # rows 1 and 3 as configured: bf16 on CPUs with it, else float32
    train = run_tool('tools/train.py', config(cfg_name), '--work-dir',
                     str(tmp_path), '--cfg-options', *options)
    log = train.stdout + train.stderr
    assert 'Loaded ImageNet weights (torchvision format)' in log
    assert re.search(r'Iter\(train\) \[1/1\].*loss: [\d.]+', log)
    assert re.search(r'Iter\(val\) \[2/2\].*mIoU', log)
    test = run_tool('tools/test.py', config(cfg_name),
                    str(tmp_path / 'iter_1.pth'), '--work-dir',
                    str(tmp_path / 'test'), '--cfg-options', *options)
    mious = _mious(test.stdout + test.stderr)
    assert len(mious) == 1 and 0 <= mious[0] <= 100
    assert 'Iter(test) [2/2]' in test.stdout + test.stderr
    print(f'{cfg_name}: mIoU after 1 iteration {mious[0]}')


def test_tiny_model_learns(tmp_path, voc_root):
    proc = run_tool(
        'tools/train.py', config('fcn_r101_voc_321_fp32.py'), '--work-dir',
        str(tmp_path), '--cfg-options', *TINY_MODEL, *data_root_options(voc_root),
        'train_cfg.max_iters=25', 'train_cfg.val_interval=5',
        'optim_wrapper.optimizer.lr=0.05', 'randomness.seed=0',
        'train_dataloader.num_workers=1', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False')
    mious = _mious(proc.stdout + proc.stderr)
    print('mIoU every 5 iterations:', mious)
    assert len(mious) == 5
    # seed 0 on this CPU: about 10, 50, 80, 75, 80 (run to run, +-5); a
    # broken pipeline stays near chance
    assert mious[0] < 50 and mious[-1] > 65 and mious[-1] > mious[0] + 25


def test_amp_on_cpu_without_native_bf16(tmp_path, voc_root):
    # oneDNN held to AVX2: this CPU then is an AVX2-only one, where bf16
    # autocast is ~25x slower than float32 (fcn_plugin/engine/cpu_bf16.py)
    proc = run_tool(
        'tools/train.py', config('fcn_r101_voc_321_fp32.py'), '--amp',
        '--work-dir', str(tmp_path), '--cfg-options', *TINY_MODEL,
        *data_root_options(voc_root), 'train_cfg.max_iters=2',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1',
        env={'ONEDNN_MAX_CPU_ISA': 'AVX2'})
    log = proc.stdout + proc.stderr
    said = [line for line in log.splitlines() if 'mixed precision' in line]
    assert len(said) == 1 and 'WARNING' in said[0], said
    assert 'runs in float32 on this CPU: ONEDNN_MAX_CPU_ISA=AVX2' in said[0]
    assert '--cfg-options optim_wrapper.cpu_dtype=bfloat16' in said[0]
    assert re.search(r'Iter\(train\) \[2/2\].*loss: \d+\.\d+', log)
    # the config dump is in the run's log file (not on the console)
    log_file = next(tmp_path.glob('*/*.log')).read_text()
    assert "type='MixedPrecisionOptimWrapper'" in log_file
    assert 'System environment' in log_file and 'Config:' not in log
    assert 'Environment, full config and hooks: ' in log
    # upstream noise is quiet: no deprecation of mmseg's own helper, no
    # "draw is False", no hook table
    for noise in ('build_loss', 'The draw is False', 'Hooks will be executed',
                  'System environment'):
        assert noise not in log
    assert len(log.splitlines()) < 80, log  # ~400 before; per-class table kept


def _bash(script, *args, port, cwd):
    """Run a tools/*.sh script from ``cwd`` (mmengine's CPU result
    collection leaves a .dist_test/ folder in the working directory)."""
    return run_tool(
        '-c', 'import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))',
        'bash', os.path.join(REPO, script), *args, cwd=cwd,
        env=dict(PYTHON=sys.executable, PORT=port, OMP_NUM_THREADS='1'))


def test_ddp_two_processes_gloo(tmp_path, voc_root):
    options = [  # the config's SyncBN as it is: plain BN on CPU
        '--cfg-options', *TINY_MODEL, *data_root_options(voc_root),
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False'
    ]
    proc = _bash(
        'tools/dist_train.sh', config('fcn_r101_voc_321_fp32.py'), '2',
        '--work-dir', str(tmp_path), *options, 'train_cfg.max_iters=1',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1', port='29533', cwd=tmp_path)
    log = proc.stdout + proc.stderr
    assert 'distributed True, world size 2' in log
    assert 'SyncBN layers are plain BatchNorm here' in log
    assert re.search(r'Iter\(train\) \[1/1\]', log)
    assert (tmp_path / 'iter_1.pth').exists()
    test = _bash('tools/dist_test.sh', config('fcn_r101_voc_321_fp32.py'),
                 str(tmp_path / 'iter_1.pth'), '2', '--work-dir',
                 str(tmp_path / 'test'), *options, port='29534', cwd=tmp_path)
    log = test.stdout + test.stderr
    # our test.py builds the config's runner_type, as train.py does
    assert 'distributed True, world size 2' in log
    # 6 val images split over 2 processes, metrics gathered once
    assert len(_mious(log)) == 1 and re.search(r'Iter\(test\) \[3/3\]', log)
