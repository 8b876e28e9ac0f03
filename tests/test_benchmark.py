"""tools/analysis/benchmark.py and benchmarks/speed_tables.py run with tiny
settings and report what they measured (no timing assertions)."""
import json
import re

import pytest
from conftest import TINY_MODEL, config, run_tool

TINY = ['--cfg-options', *TINY_MODEL]


@pytest.mark.parametrize('flags', [[], ['--amp'], ['--channels-last'],
                                   ['--fuse-bn'], ['--batch', '2'],
                                   ['--compile', '--fuse-bn']])
def test_benchmark_flags_write_valid_json(tmp_path, flags):
    out = tmp_path / 'result.json'
    proc = run_tool('tools/analysis/benchmark.py',
                    config('fcn_r101_voc_321.py'), '--shape', '64', '96',
                    '--warmup', '1', '--iters', '2', '--repeat', '2',
                    '--json', str(out), *flags, *TINY)
    result = json.loads(out.read_text())
    assert len(result['trials']) == 2 and all(t > 0 for t in result['trials'])
    assert result['fps'] == max(result['trials'])
    assert f'FPS: {result["fps"]:.2f}' in proc.stdout
    assert 'random weights' in proc.stdout and 'torch: 2.' in proc.stdout
    assert result['dtype'] == ('bfloat16' if '--amp' in flags else 'float32')
    assert result['batch'] == (2 if '--batch' in flags else 1)
    assert result['peak_mib'] > 0
    assert len(re.findall(r'trial \d/2: [\d.]+ FPS', proc.stdout)) == 2
    # the expected duration comes first (defaults take minutes on a CPU)
    assert re.search(r'one forward takes ~[\d.e-]+ s: 2 trial\(s\) x \(1 '
                     r'warm-up \+ 2 timed\) = 6 forwards, ~[\d.]+ min',
                     proc.stdout)


def test_benchmark_real_mode_and_checkpoint(tmp_path, voc_root,
                                           tiny_checkpoint):
    out = tmp_path / 'real.json'
    proc = run_tool('tools/analysis/benchmark.py',
                    config('fcn_r101_voc_321.py'), tiny_checkpoint,
                    '--real', '--iters', '3', '--json', str(out), *TINY,
                    f'test_dataloader.dataset.data_root={voc_root}')
    result = json.loads(out.read_text())
    assert result['images'] == 3
    assert result['loading_fps'] > 0 and result['forward_fps'] > 0
    assert 'iter_1.pth' in result['weights']
    assert 'real mode over 3 val images' in proc.stdout


def test_speed_tables_script():
    proc = run_tool('benchmarks/speed_tables.py', '--shape', '32', '64',
                    '--warmup', '0', '--iters', '1', '--repeat', '1',
                    '--rounds', '1', '--modes', 'fp32', 'fuse-bn',
                    'channels-last')
    out = proc.stdout
    assert re.search(r'\| fp32 \| [\d.]+ \| [\d.]+ \| [\d.]+ \|', out)  # (a)
    rows = re.findall(r'\| (fp32|fuse-bn|channels-last) \| [\d.]+ \| [\d.]+x '
                      r'\| [\d.]+x \| ([\d.e+-]+) \| ([\d.]+) % \| \d+ MiB \|',
                      out)
    assert [r[0] for r in rows] == ['fp32', 'fuse-bn', 'channels-last']
    assert float(rows[0][1]) == 0 and float(rows[0][2]) == 100
    assert float(rows[1][1]) < 1e-3  # folding BN changes logits by rounding
    assert 'fastest mode with >= 99.5 % agreement' in out


@pytest.mark.slow
def test_train_iteration_script():
    proc = run_tool('benchmarks/train_iteration.py', '--batch', '1',
                    '--iters', '1', '--warmup', '0', '--cpu-dtype', 'float32')
    rows = re.findall(r'\| (fcn_r101_\S+\.py) \| (\d+x\d+) \| (.+?) \| '
                      r'synthetic \| off \| ([\d.]+) \| ([\d.]+) \|',
                      proc.stdout)
    assert [r[:2] for r in rows] == [
        ('fcn_r101_voc_321.py', '321x321'),
        ('fcn_r101_voc_321_fp32.py', '321x321'),
        ('fcn_r101_cityscapes_256x512.py', '256x512')]
    assert rows[0][2] == 'MixedPrecisionOptimWrapper (float32)'
    assert rows[1][2] == 'OptimWrapper'
    assert all(float(r[3]) > 0 for r in rows)
    assert all(abs(float(r[3]) * float(r[4]) - 1) < 0.01 for r in rows)
    assert 'No GPU: these are CPU figures' in proc.stdout
