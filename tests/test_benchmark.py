"""tools/analysis/benchmark.py and benchmarks/speed_tables.py run with tiny
settings and report what they measured (no timing assertions)."""
import json
import re
import time

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


def _slow_source(seconds, log):
    """Batches that take ``seconds`` each to arrive (a slow DataLoader)."""
    while True:
        time.sleep(seconds)
        log.append(time.perf_counter())
        yield {'inputs': []}


def test_training_time_counts_the_wait_for_each_batch(monkeypatch):
    # an input-bound run: the step is instant, each batch takes 50 ms
    from fcn_plugin.tooling import train_benchmark as tb
    monkeypatch.setattr(tb, 'build_training',
                        lambda cfg, device: (None, None, lambda data: None))
    monkeypatch.setattr(tb, 'describe_wrapper', lambda *a: 'OptimWrapper')
    seconds, _, _ = tb.time_training(None, 'cpu', _slow_source(0.05, []),
                                     iters=4, warmup=1)
    assert seconds >= 0.05


def test_loader_rate_and_verdict():
    from fcn_plugin.tooling import train_benchmark as tb
    arrivals = []
    rate = tb.loader_rate(_slow_source(0.02, arrivals), 5)
    assert len(arrivals) == 6  # the first batch, then 5 timed
    assert rate == pytest.approx(5 / (arrivals[-1] - arrivals[0]), rel=0.2)
    assert rate < 1 / 0.02
    # a short timed loop can still eat the prefetched batches: through the
    # loader looks as fast as synthetic, the loader's own rate says not
    assert tb.verdict(10.0, 10.0, 5.0).startswith('INPUT-BOUND (loader 50 %')
    assert tb.verdict(10.0, 8.0, 50.0).startswith('INPUT-BOUND (loader 80 %')
    assert tb.verdict(10.0, 9.5, 50.0) == 'not input-bound (loader 95 % ' \
        'of synthetic)'


def test_prefetch_depth_of_a_real_dataloader():
    from torch.utils.data import DataLoader

    from fcn_plugin.tooling import train_benchmark as tb
    data = list(range(8))
    assert tb.prefetch_depth(DataLoader(data, num_workers=0)) == 0
    assert tb.prefetch_depth(DataLoader(data, num_workers=2)) == 4
    assert tb.prefetch_depth(DataLoader(data, num_workers=3,
                                        prefetch_factor=5)) == 15


@pytest.mark.slow
def test_real_size_script_at_a_small_scale():
    """benchmarks/real_size.py on 2 images a split at the real image sizes
    (CI's small run): every stage on VOC; Cityscapes' own, the preparation
    (its check then reads the copy)."""
    row = r'\| {} \| [\d,]+ \| [\d.]+ \| [\d.]+ \| [\d,]+ \|'
    voc = run_tool('benchmarks/real_size.py', '--datasets', 'voc',
                   '--scale', '0.0002', '--infer-sizes', '1', '2').stdout
    assert '## voc: 2 train + 2 val images of 500x375' in voc, voc
    for stage in (r'check_dataset.py --workers 1',
                  r'train.py: start-up \+ first iteration \(batch 8\)',
                  r'train.py --resume at iteration 38,896 \+ 1 iteration',
                  'test.py over the val set', 'infer.py over 2 images'):
        assert re.search(row.format(stage), voc), (stage, voc)
    assert re.search(r'voc: check_dataset.py on \d+ cores is [\d.]+x one '
                     r'process', voc)
    assert re.search(r'voc: infer.py peak memory over 2 images is [\d.]+x '
                     r'that over 1', voc)
    city = run_tool('benchmarks/real_size.py', '--datasets', 'cityscapes',
                    '--scale', '0.0002', '--stages', 'prepare',
                    'check').stdout
    assert '## cityscapes: 2 train + 2 val images of 2048x1024' in city
    for stage in ('prepare_cityscapes.py',
                  r'check_dataset.py \(the half-resolution copy\) '
                  r'--workers 1'):
        assert re.search(row.format(stage), city), (stage, city)


def test_real_size_script_refuses_a_root_it_did_not_make(tmp_path):
    """--root at a user's data folder: one line, and nothing there changes
    (it would write split files and remove run folders)."""
    split = tmp_path / 'voc' / 'VOC2012' / 'ImageSets' / 'Segmentation'
    split.mkdir(parents=True)
    (split / 'trainaug.txt').write_bytes(b'2007_000032\n')
    (tmp_path / 'voc_runs').mkdir()
    (tmp_path / 'voc_runs' / 'mine.txt').write_bytes(b'keep')
    proc = run_tool('benchmarks/real_size.py', '--datasets', 'voc',
                    '--root', str(tmp_path), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f'error: --root {tmp_path} holds files this benchmark did not make '
        '(it writes split files and removes its runs there): give a new or '
        'empty folder.']
    assert (split / 'trainaug.txt').read_bytes() == b'2007_000032\n'
    assert (tmp_path / 'voc_runs' / 'mine.txt').read_bytes() == b'keep'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['voc', 'voc_runs']
