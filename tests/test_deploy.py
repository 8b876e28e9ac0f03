"""ONNX export with parity in ONNX Runtime, int8 quantization, and the
benchmark's onnxruntime backend (speed itself: benchmarks/int8_cpu.py)."""
import json
import re

import numpy as np
import onnx
import pytest
import torch
from conftest import TINY_MODEL, config, run_tool

pytestmark = pytest.mark.slow
CFG = config('fcn_r101_voc_321_fp32.py')


@pytest.fixture(scope='module')
def exported(tmp_path_factory, tiny_checkpoint, voc_root):
    out = tmp_path_factory.mktemp('onnx') / 'tiny.onnx'
    proc = run_tool('tools/deployment/export_onnx.py', CFG, tiny_checkpoint,
                    str(out), '--cfg-options', *TINY_MODEL,
                    f'test_dataloader.dataset.data_root={voc_root}')
    return out, proc.stdout


def test_export_parity_on_real_layout_images(exported):
    path, out = exported
    match = re.search(r'parity on 4 image\(s\) through the test pipeline '
                      r'\(505x505, .*\): max relative logit difference '
                      r'([\d.e+-]+) \(limit 1e-04\), argmax agreement '
                      r'([\d.]+) %', out)
    assert match, out
    assert float(match.group(1)) <= 1e-4 and float(match.group(2)) >= 99.99
    assert 'not in the graph' in out  # what is not supported, said
    graph = onnx.load(str(path)).graph
    dims = [d.dim_param for d in graph.input[0].type.tensor_type.shape.dim]
    assert dims == ['batch', '', 'height', 'width']
    assert any(n.op_type == 'Resize' for n in graph.node)  # upsample inside


def test_dynamic_shapes_match_pytorch(exported, tiny_checkpoint):
    from mmengine.config import DictAction
    from mmengine.runner import load_checkpoint

    from fcn_plugin.tooling.builder import build_segmentor, load_config
    from fcn_plugin.deploy import onnx_export
    options = {k: DictAction._parse_iterable(v)
               for k, v in (o.split('=', 1) for o in TINY_MODEL)}
    model = build_segmentor(load_config(CFG, options))
    load_checkpoint(model, tiny_checkpoint)
    module = onnx_export.LogitsAtInputSize(model)
    session = onnx_export.ort_session(str(exported[0]))
    gen = torch.Generator().manual_seed(0)
    inputs = [torch.randn(1, 3, 97, 131, generator=gen),
              torch.randn(2, 3, 256, 512, generator=gen)]
    worst, agree = onnx_export.compare(session, module, inputs)
    assert worst <= 1e-4 and agree >= 0.9999


def test_int8_quantization_and_onnxruntime_benchmark(tmp_path, exported,
                                                     voc_root):
    out = tmp_path / 'tiny_int8.onnx'
    proc = run_tool('tools/deployment/quantize_int8.py', CFG,
                    str(exported[0]), str(out), '--num-images', '3',
                    '--cfg-options', *TINY_MODEL,
                    f'test_dataloader.dataset.data_root={voc_root}')
    assert 'calibrating on 3 image(s)' in proc.stdout
    agree = re.search(r'agreement with the fp32 model on 3 held-out '
                      r'image\(s\): ([\d.]+) %', proc.stdout)
    assert agree and 0 <= float(agree.group(1)) <= 100
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear'} <= ops
    result = tmp_path / 'bench.json'
    bench = run_tool('tools/analysis/benchmark.py', CFG, '--backend',
                     'onnxruntime', '--onnx', str(out), '--shape', '64', '96',
                     '--warmup', '1', '--iters', '2', '--repeat', '2',
                     '--json', str(result))
    data = json.loads(result.read_text())
    assert data['backend'] == 'onnxruntime' and len(data['trials']) == 2
    assert f'FPS: {data["fps"]:.2f}' in bench.stdout
    missing = run_tool('tools/analysis/benchmark.py', CFG, '--backend',
                       'onnxruntime', '--onnx', str(tmp_path / 'no.onnx'),
                       check=False)
    assert missing.returncode == 1 and 'needs --onnx FILE' in missing.stderr
    assert np.isfinite(data['fps'])


def test_an_output_that_is_an_input_is_refused_and_left_intact(
        tmp_path, exported, tiny_checkpoint):
    """The mistake itself: the checkpoint (spelt another way, and through a
    symbolic link) or the fp32 model named as the output."""
    import os
    import shutil
    onnx_path, _ = exported
    ckpt = tmp_path / 'ck.pth'
    shutil.copy(tiny_checkpoint, ckpt)
    os.symlink(ckpt, tmp_path / 'link.pth')
    model = tmp_path / 'm.onnx'
    shutil.copy(onnx_path, model)
    before = {p: p.read_bytes() for p in (ckpt, model)}
    for tool, args in (
            ('tools/deployment/export_onnx.py',
             [str(ckpt), str(tmp_path / '.' / 'ck.pth')]),
            ('tools/deployment/export_onnx.py',
             [str(ckpt), str(tmp_path / 'link.pth')]),
            ('tools/deployment/quantize_int8.py',
             [str(model), str(tmp_path / 'sub' / '..' / 'm.onnx')])):
        (tmp_path / 'sub').mkdir(exist_ok=True)
        proc = run_tool(tool, CFG, *args, '--cfg-options', *TINY_MODEL,
                        check=False)
        assert proc.returncode == 1, proc.stderr[-2000:]
        line, = proc.stderr.strip().splitlines()
        assert 'writing it would replace that input' in line, line
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(os.listdir(tmp_path)) == ['ck.pth', 'link.pth', 'm.onnx',
                                            'sub']


def test_a_failed_parity_check_leaves_the_deployed_model_as_it_was(
        tmp_path, exported, tiny_checkpoint, voc_root):
    """A model that fails the check (classifier weights at float32's
    largest value: logits overflow to inf, whose differences are NaN, which
    fails it; non-finite weights are refused before, as a diverged run's)
    never reaches the deploy path; a passing one replaces it and says so."""
    import os
    onnx_path, _ = exported
    deployed = tmp_path / 'fcn.onnx'
    deployed.write_bytes(b'the model in production')
    ckpt = torch.load(tiny_checkpoint, map_location='cpu', weights_only=False)
    ckpt['state_dict'] = {k: v.float().fill_(3e38)
                          if k.startswith('decode_head.conv_seg') else v
                          for k, v in ckpt['state_dict'].items()}
    torch.save(ckpt, tmp_path / 'huge.pth')
    options = ['--cfg-options', *TINY_MODEL,
               f'test_dataloader.dataset.data_root={voc_root}']
    proc = run_tool('tools/deployment/export_onnx.py', CFG,
                    str(tmp_path / 'huge.pth'), str(deployed), *options,
                    check=False)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert 'does not match PyTorch; nothing written' in proc.stderr
    assert deployed.read_bytes() == b'the model in production'
    assert sorted(os.listdir(tmp_path)) == ['fcn.onnx', 'huge.pth']
    proc = run_tool('tools/deployment/export_onnx.py', CFG, tiny_checkpoint,
                    str(deployed), *options)
    assert f'replaced {deployed}' in proc.stdout
    assert onnx.load(str(deployed)).graph.node
