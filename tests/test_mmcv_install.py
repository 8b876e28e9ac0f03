"""mmcv-lite or full mmcv: mmseg imports either way, the fallback is inert
beside full mmcv, and a compiled op without full mmcv fails clearly.

CI runs this file in both environments (``make test`` on mmcv-lite, ``make
smoke MMCV=full`` on full mmcv); each checks the branch it has.
"""
import importlib.machinery
import subprocess
import sys

import pytest
import torch

import fcn_plugin  # noqa: F401  (installs the fallback)
from fcn_plugin import mmcv_ext_fallback


def _real_ext_installed():
    import mmcv
    return importlib.machinery.PathFinder.find_spec(
        '_ext', mmcv.__path__) is not None


def _python(code):
    return subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.smoke
def test_mmseg_models_import_and_which_mmcv():
    import mmcv._ext as ext
    import mmseg.models  # noqa: F401
    described = mmcv_ext_fallback.describe_mmcv()
    if _real_ext_installed():  # full mmcv: the fallback was never asked
        assert not isinstance(ext, mmcv_ext_fallback._LiteExtModule)
        assert described.startswith('full mmcv 2.1.0')
        assert ext.__spec__.origin.endswith('.so')
    else:
        assert isinstance(ext, mmcv_ext_fallback._LiteExtModule)
        assert described.startswith('mmcv-lite 2.1.0')


@pytest.mark.smoke
def test_compiled_op_without_full_mmcv_names_it():
    from mmcv.ops import nms, point_sample
    boxes, scores = torch.rand(4, 4), torch.rand(4)
    boxes[:, 2:] += 1
    # pure-PyTorch ops work with either mmcv
    assert point_sample(torch.rand(1, 2, 4, 4),
                        torch.rand(1, 3, 2)).shape == (1, 2, 3)
    if _real_ext_installed():
        dets, keep = nms(boxes, scores, 0.5)
        assert len(keep) >= 1
    else:
        with pytest.raises(mmcv_ext_fallback.MissingCompiledOpError,
                           match=r"mmcv op 'nms' is compiled code.*"
                           r'make install MMCV=full'):
            nms(boxes, scores, 0.5)


def test_without_any_mmcv_import_says_what_to_install():
    proc = _python("import sys; sys.modules['mmcv'] = None\n"
                   'import fcn_plugin')
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('ImportError: fcn_plugin needs mmcv 2.1.0')
    assert 'mmcv-lite==2.1.0' in last and 'make install MMCV=full' in last


def test_import_needs_no_torchvision():
    proc = _python("import sys; sys.modules['torchvision'] = None\n"
                   'import fcn_plugin, mmseg.models, mmseg.apis\n'
                   "print('ok')")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == 'ok'


def test_finder_only_answers_for_mmcv_ext():
    finder = mmcv_ext_fallback.LiteExtFinder()
    assert finder.find_spec('mmcv.ops') is None
    assert finder.find_spec('no_such_module') is None
    assert finder.find_spec('mmcv._ext').name == 'mmcv._ext'
    # installed once, after the finder of real files: a real mmcv._ext is
    # always found first (finders appended later, e.g. six's, may follow)
    ours = [i for i, f in enumerate(sys.meta_path)
            if isinstance(f, mmcv_ext_fallback.LiteExtFinder)]
    assert len(ours) == 1
    assert ours[0] > sys.meta_path.index(importlib.machinery.PathFinder)


def test_numpy_1_torch_beside_numpy_2_is_named_at_import(monkeypatch):
    """torch 2.1/2.2 beside numpy 2: every torch.from_numpy raises 'Numpy is
    not available'. The import check makes that call and names the fix
    (here the failure is the one torch 2.1.2 raises, simulated)."""
    from fcn_plugin.environment import (IncompatibleEnvironmentError,
                                        check_environment)

    def numpy_unavailable(array):
        raise RuntimeError('Numpy is not available')
    monkeypatch.setattr(torch, 'from_numpy', numpy_unavailable)
    with pytest.raises(IncompatibleEnvironmentError,
                       match=r'built against numpy 1 .*pip install "numpy<2"'):
        check_environment()
