"""No checkpoint runs code: hostile pickles (tests/checkpoint_gadgets.py) are
refused, in every tool, with one line; real mmengine checkpoints still load;
importing the plugin leaves torch.load as strict as torch makes it."""
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from checkpoint_gadgets import GADGETS, write_gadget
from conftest import TINY_MODEL, config, data_root_options, run_tool
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner import CheckpointLoader

from fcn_plugin.errors import UserInputError
from fcn_plugin.weights import load_checkpoint_file, restricted_unpickler


@pytest.fixture
def gadget(tmp_path):
    def make(name):
        marker = tmp_path / f'{name}.EXECUTED'
        return write_gadget(name, tmp_path / f'{name}.pth', marker), marker
    return make


@pytest.mark.parametrize('name', sorted(GADGETS))
def test_gadget_is_real_and_refused(gadget, name):
    path, marker = gadget(name)
    # the attack works against an unrestricted unpickler ...
    try:
        torch.load(path, weights_only=False)
    except Exception:  # noqa: BLE001 - some payloads break after running
        pass
    assert marker.exists(), f'{name} is no working attack'
    marker.unlink()
    # ... and neither the plugin's loader nor mmengine's (ours) runs it
    for load in (load_checkpoint_file, CheckpointLoader.load_checkpoint):
        with pytest.raises(UserInputError, match='refusing checkpoint'):
            load(path)
        assert not marker.exists()


def test_import_does_not_weaken_torch_load(gadget, tiny_checkpoint):
    """After ``import fcn_plugin``, torch's own weights_only load still
    refuses both a gadget and mmengine's HistoryBuffer."""
    path, marker = gadget('getattr_chain')
    script = (
        'import sys, torch, fcn_plugin\n'
        'for path in sys.argv[1:]:\n'
        '    try:\n'
        '        torch.load(path, weights_only=True)\n'
        '        print("LOADED", path)\n'
        '    except Exception as exc:\n'
        '        print("refused", type(exc).__name__)\n'
        'safe = getattr(torch.serialization, "get_safe_globals", list)()\n'
        'print("getattr allowed" if getattr in safe else "getattr not allowed")\n')
    out = subprocess.run([sys.executable, '-c', script, path, tiny_checkpoint],
                         capture_output=True, text=True, check=True).stdout
    assert 'LOADED' not in out and out.count('refused') == 2, out
    assert 'getattr not allowed' in out
    assert not marker.exists()


def test_real_mmengine_checkpoint_loads(tiny_checkpoint):
    """What the runner writes (message hub with HistoryBuffer and numpy
    scalars, RNG state, optimizer) loads whole, and the buffers work."""
    checkpoint = load_checkpoint_file(tiny_checkpoint)
    assert {'meta', 'state_dict', 'message_hub', 'optimizer',
            'random_state'} <= set(checkpoint)
    assert checkpoint['meta']['dataset_meta']['classes'][0] == 'background'
    buffers = checkpoint['message_hub']['log_scalars']
    loss = buffers['train/loss']
    assert isinstance(loss, HistoryBuffer) and np.isfinite(loss.mean())
    assert checkpoint['random_state']['numpy'][1].dtype == torch.int64


def test_numpy_1_and_2_pickles_both_load():
    """numpy 2 renamed numpy.core to numpy._core; a message hub written under
    either loads under the other."""
    buffer = HistoryBuffer([1.0, 2.0], [1, 1])
    data = pickle.dumps({'b': buffer, 's': np.float64(3.5)}, protocol=2)
    for old, new in ((b'numpy._core.', b'numpy.core.'),
                     (b'numpy.core.', b'numpy._core.')):
        loaded = restricted_unpickler.loads(data.replace(old, new))
        assert loaded['b'].mean() == 1.5 and loaded['s'] == 3.5


def test_only_plain_tensors_are_rebuilt():
    """The _rebuild_from_type_v2 stand-in refuses a tensor with Python state
    or of another type, even when built by torch's own rebuild function."""
    tensor = torch.arange(3.)
    func, args = tensor._reduce_ex_internal(2)
    with pytest.raises(pickle.UnpicklingError):
        restricted_unpickler.rebuild_plain_tensor(
            func, torch.Tensor, args, {'__class__': 1})
    with pytest.raises(pickle.UnpicklingError):
        restricted_unpickler.rebuild_plain_tensor(eval, torch.Tensor,
                                                  ('1', ), {})
    with pytest.raises(pickle.UnpicklingError):
        restricted_unpickler.history_buffer_statistic(HistoryBuffer,
                                                      '__init__')


def _assert_refused(proc, path, marker):
    assert proc.returncode == 1, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines()
              if line.startswith('error: ')]
    assert len(errors) == 1 and 'refusing' in errors[0], proc.stderr[-3000:]
    assert path in errors[0]
    assert 'Traceback' not in proc.stderr
    assert not marker.exists()


@pytest.mark.slow
def test_every_tool_refuses_gadgets(tmp_path, gadget, voc_root):
    """tools/test.py, --resume, load_from=, tools/infer.py, the ImageNet
    init_cfg and the converter, each with another gadget shape."""
    names = iter(sorted(GADGETS))
    data = data_root_options(voc_root, ('train', 'val', 'test'))
    fast = ['train_cfg.max_iters=1', 'train_dataloader.batch_size=2',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False']
    image = osp.join(voc_root, 'JPEGImages', '2007_000000.jpg')
    row = config('fcn_r101_voc_321_fp32.py')

    def resume_dir(path):
        """A work dir whose newest checkpoint is the gadget at ``path``."""
        work = osp.dirname(path)
        return ['--work-dir', work, '--resume']

    tools = [
        lambda p: ['tools/test.py', row, p, '--work-dir', str(tmp_path / 't'),
                   '--cfg-options', *TINY_MODEL, *data],
        lambda p: ['tools/train.py', row, *resume_dir(p), '--cfg-options',
                   *TINY_MODEL, *data, *fast],
        lambda p: ['tools/train.py', row, '--work-dir', str(tmp_path / 'l'),
                   '--cfg-options', *TINY_MODEL, *data, *fast,
                   f'load_from={p}'],
        lambda p: ['tools/infer.py', row, p, image, '--out',
                   str(tmp_path / 'out'), '--cfg-options', *TINY_MODEL],
        lambda p: ['tools/train.py', row, '--work-dir', str(tmp_path / 'i'),
                   '--cfg-options', *data, *fast,
                   f'model.backbone.init_cfg.checkpoint={p}'],
        lambda p: ['tools/model_converters/fcn2mmseg.py', p,
                   str(tmp_path / 'converted.pth')],
    ]
    for index, tool in enumerate(tools):
        path, marker = gadget(next(names))
        if index == 1:  # --resume finds it as the run's newest checkpoint
            work = tmp_path / 'resume'
            work.mkdir()
            path = write_gadget(osp.basename(path)[:-4], work / 'iter_5.pth',
                                marker)
        _assert_refused(run_tool(*tool(path), check=False), path, marker)
    assert not (tmp_path / 'converted.pth').exists()
