"""mmcv-lite or full mmcv: mmseg imports either way, the fallback is inert
beside full mmcv, and a compiled op without full mmcv fails clearly.

CI runs this file in both environments (``make test`` on mmcv-lite, ``make
smoke MMCV=full`` on full mmcv); each checks the branch it has.
"""
import importlib.machinery
import subprocess
import textwrap
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
        from importlib import metadata
        assert isinstance(ext, mmcv_ext_fallback._LiteExtModule)
        try:  # the maintained fork's, built without ops (STACK=onedl)
            expected = f'onedl-mmcv {metadata.version("onedl-mmcv")}'
        except metadata.PackageNotFoundError:
            expected = 'mmcv-lite 2.1.0'
        assert described.startswith(expected + ' (no compiled ops')


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
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith('error: fcn_plugin needs mmcv and none is')
    assert 'mmcv-lite==2.1.0' in lines[0] and 'make install MMCV=full' in \
        lines[0] and 'onedl-mmcv' in lines[0]


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


def test_no_openmmlab_stack_is_named_at_import():
    """A plain `pip install fcn_plugin` has no stack (it is an extra): one
    line says which modules are missing and both ways to install one."""
    code = textwrap.dedent("""
        import importlib.abc, sys
        class NotInstalled(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('mmseg', 'mmengine'):
                    raise ModuleNotFoundError(name)
        sys.meta_path.insert(0, NotInstalled())
        import fcn_plugin
    """)
    proc = _python(code)
    assert proc.returncode == 1, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), proc.stderr
    assert 'mmengine, mmseg is not installed' in lines[0]
    assert 'fcn_plugin[openmmlab,lite]' in lines[0]
    assert 'fcn_plugin[onedl]' in lines[0]
