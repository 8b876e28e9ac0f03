"""The training fast paths (fcn_plugin.tooling.train_benchmark.FAST_PATHS), each
selected with --cfg-options on a real tools/train.py run: the losses match
the plain row config's (exactly where the maths is the same, within a stated
tolerance where kernels or the dtype change), and resume stays exact."""
import glob
import json
import os.path as osp

import pytest
import torch
from conftest import REPO, TINY_MODEL, config, data_root_options, run_tool

from fcn_plugin.tooling.train_benchmark import FAST_PATHS
from fcn_plugin.weights import load_checkpoint_file

pytestmark = pytest.mark.slow
ITERS = 3
# relative loss tolerance: same maths and kernels -> exact; another memory
# layout or update kernel -> float32 rounding; bf16 autocast -> its 8 bits
# (channels_last: another summation order in every convolution, which one
# SGD step at random init amplifies to ~3e-4)
TOLERANCE = {'cudnn_benchmark': 0, 'foreach_sgd': 1e-6,
             'channels_last': 1e-3, 'compile': 1e-4, 'bf16': 5e-2}
ROW = config('fcn_r101_voc_321_fp32.py')


def _train(tmp_path, voc_root, name, options, max_iters=ITERS, extra=(),
           cfg=ROW):
    work = tmp_path / name
    run_tool('tools/train.py', cfg,
             '--work-dir', str(work), *extra, '--cfg-options', *TINY_MODEL,
             *data_root_options(voc_root, ('train', 'val')),
             f'train_cfg.max_iters={max_iters}', 'train_cfg.val_interval=100',
             'default_hooks.logger.interval=1',
             'default_hooks.checkpoint.interval=2',
             'train_dataloader.batch_size=4', 'train_dataloader.num_workers=1',
             'randomness.seed=0', 'randomness.deterministic=True',
             *[f"{k}={v}" for k, v in options.items()],
             env=dict(PYTHONPATH=osp.join(REPO, 'tests')))
    scalars = sorted(glob.glob(str(work / '*' / 'vis_data' /
                                   'scalars.json')))[-1]
    losses = [json.loads(line)['loss'] for line in open(scalars)
              if '"loss"' in line]
    return work, losses


@pytest.fixture(scope='module')
def plain(tmp_path_factory, voc_root):
    return _train(tmp_path_factory.mktemp('plain'), voc_root, 'plain', {})[1]


# on 2 CPU cores inductor needs minutes to compile a training step: the CPU
# test compiles through dynamo with the eager backend (the same capture,
# mmengine's same compile=... path, no code generation)
OPTIONS = dict({k: v[0] for k, v in FAST_PATHS.items()},
               compile={'compile.backend': 'eager'})


@pytest.mark.parametrize('name', sorted(FAST_PATHS))
def test_fast_path_trains_like_the_row(tmp_path, voc_root, plain, name):
    _, losses = _train(tmp_path, voc_root, name, OPTIONS[name])
    assert len(losses) == len(plain) == ITERS
    for got, want in zip(losses, plain):
        assert got == pytest.approx(want, rel=TOLERANCE[name], abs=0), \
            (name, losses, plain)


def test_resume_stays_exact_with_fast_paths(tmp_path, voc_root):
    """Killed after iteration 2 (its checkpoint written), resumed: the same
    weights at iteration 4 as without the kill."""
    options = {**FAST_PATHS['channels_last'][0],
               **FAST_PATHS['foreach_sgd'][0]}
    crashing = tmp_path / 'crashing.py'
    crashing.write_text(
        f'_base_ = {ROW!r}\n'
        "custom_imports = dict(imports=['fcn_plugin', "
        "'test_only_components'])\n"
        "custom_hooks = [dict(type='RandomStateHook'), "
        "dict(type='PreemptionHook'), "
        "dict(type='CrashAfterIteration', iteration=2)]\n")
    full, _ = _train(tmp_path, voc_root, 'full', options, max_iters=4)
    part = tmp_path / 'part'
    with pytest.raises(AssertionError, match='exited 137'):
        _train(tmp_path, voc_root, 'part', options, max_iters=4,
               cfg=str(crashing))
    assert (part / 'iter_2.pth').exists()
    _train(tmp_path, voc_root, 'part', options, max_iters=4,
           extra=('--resume', ))
    a = load_checkpoint_file(str(full / 'iter_4.pth'))['state_dict']
    b = load_checkpoint_file(str(part / 'iter_4.pth'))['state_dict']
    assert [k for k in a if not torch.equal(a[k], b[k])] == []
