"""benchmarks/gpu_report.py on the CPU: every part of the report is
exercised (--smoke), and a run that is killed keeps what it measured."""
import json
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO, run_tool

pytestmark = pytest.mark.slow
PARTS = ('environment', 'reference_table', 'speed_modes', 'throughput',
         'training', 'fast_paths')


def test_smoke_report_has_every_part(tmp_path):
    path = tmp_path / 'report.json'
    proc = run_tool('benchmarks/gpu_report.py', '--smoke', '--json',
                    str(path))
    report = json.loads(path.read_text())
    assert list(report['parts']) == list(PARTS)
    for name in PARTS:
        assert 'error' not in report['parts'][name], report['parts'][name]
        assert 'wall_s' in report['parts'][name]
    assert report['parts']['environment']['torch']
    for name in PARTS[1:]:
        assert report['parts'][name]['rows'], name
    table = report['parts']['reference_table']['rows']
    assert {r['input'] for r in table} == {'32x64', '64x128'}
    assert all(r['fcn_plugin FPS'] > 0 and r['plain-PyTorch reference FPS']
               > 0 for r in table)
    modes = {r['mode'] for r in report['parts']['speed_modes']['rows']}
    assert {'fp32', 'bf16 autocast', 'channels_last', 'fused BN'} <= modes
    fp32 = next(r for r in report['parts']['speed_modes']['rows']
                if r['mode'] == 'fp32')
    assert fp32['speed-up'] == 1 and fp32['argmax agreement %'] == 100
    assert report['parts']['throughput']['bf16 matmul peak TFLOP/s'] > 0
    training = report['parts']['training']['rows']
    assert {r['data'] for r in training} == {'synthetic', 'loader'}
    for row in training:  # the reference step beside each synthetic row
        synthetic = row['data'] == 'synthetic'
        assert (row['reference it/s'] is not None) == synthetic, row
        if synthetic:
            assert row['reference it/s'] > 0 and row['plugin / reference'] > 0
            assert row['host waits / step'] == 0, row  # counted on the CPU
    assert any('input-bound' in r['verdict'].lower() for r in training)
    assert report['parts']['fast_paths']['rows'][0]['fast paths'] != '-'
    assert any('fp16' in s for s in report['skipped'])  # said, on a CPU
    markdown = path.with_suffix('.md').read_text()
    assert '## reference_table' in markdown and '| 64x128 |' in markdown
    assert '## fast_paths' in proc.stdout


def test_killed_run_keeps_what_it_measured(tmp_path):
    path = tmp_path / 'report.json'
    proc = subprocess.Popen(
        [sys.executable, 'benchmarks/gpu_report.py', '--smoke', '--json',
         str(path)], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        if path.exists() and 'reference_table' in json.loads(
                path.read_text())['parts']:
            break
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, out[-2000:]
    report = json.loads(path.read_text())
    assert 'environment' in report['parts']
    assert 'reference_table' in report['parts']
    assert 'fast_paths' not in report['parts']
