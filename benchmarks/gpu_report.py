#!/usr/bin/env python
"""Measure everything a GPU (or a CPU) can tell about the plugin, in one run.

    python benchmarks/gpu_report.py                  # --budget 420 s
    python benchmarks/gpu_report.py --smoke          # tiny sizes, every part

Prints a markdown report and writes it as JSON (``--json``) and markdown
(the same path, ``.md``), rewritten after every measurement, so a run that
is killed (SIGTERM, SIGINT, or the budget of whoever runs it) keeps what it
measured. Parts, each with its wall time:

1. the environment: device, driver, torch, CUDA, cuDNN, CPU;
2. the reference's profiling table, its way (batch 1, fp32, 10 warm-up +
   300 timed forwards with the upsample, synchronized, best of 3) at
   256x512, 512x1024, 1024x2048, next to the reference's 2080 Ti FPS and the
   plain-PyTorch reference FCN (tests/reference_fcn.py, same weights) timed
   alternately; the plugin/reference ratio must stay >= 0.97;
3. every speed mode at 256x512 and 1024x2048 (fp16/bf16 autocast,
   channels_last, fused BN, torch.compile and combinations): FPS, speed-up,
   max logit difference and argmax agreement with fp32;
4. throughput of the fastest mode with >= 99.5 % agreement at the best
   batch size: images/s and TFLOP/s (216.42 GFLOPs per 256x512 image) as a
   share of the bf16 matmul peak measured in the same run;
5. training, each row at its crop and batch 8: iterations/s and images/s
   with batches on the device and with the row's real DataLoader over
   generated data (one worker per core; Cityscapes from the half-resolution
   copy), the input-bound verdict (real < 90 % of synthetic), peak memory,
   the largest batch that fits (GPU); with batches on the device, the
   reference's training step in plain PyTorch timed alternately with the
   row's (``plugin / reference``, goal >= 0.95) and the host's waits for
   the device in one row step (``torch.cuda.set_sync_debug_mode`` on a GPU,
   reads of tensor values on a CPU);
6. the same with the training fast paths, against the plain row config.

``--budget`` plans every part to fit: a part that cannot run its protocol
in its share of the time left runs fewer iterations (and says so) or is
skipped (and says why). Without a GPU it measures the CPU.
"""
import json
import math
import os
import os.path as osp
import platform
import signal
import subprocess
import sys
import tempfile
import time

STARTED = time.monotonic()  # the budget counts the imports below too

import torch  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tests'))  # the plain-PyTorch reference

from reference_fcn import ReferenceFCN, randomize_  # noqa: E402

from fcn_plugin.tooling.arguments import (  # noqa: E402
    DEVICE_HELP, ToolParser, default_device, positive_number)
from fcn_plugin.tooling.cli import user_errors  # noqa: E402
from fcn_plugin.tooling import benchmark as bm  # noqa: E402
from fcn_plugin.tooling import train_benchmark as tb  # noqa: E402
from fcn_plugin.tooling.builder import build_segmentor, load_config  # noqa: E402
from fcn_plugin.tooling.output_files import write_text  # noqa: E402
from fcn_plugin.tooling.reference_table import REFERENCE_PROFILE  # noqa: E402
from fcn_plugin.tooling.reference_training import (  # noqa: E402
    reference_batch, reference_step)
from fcn_plugin.weights import convert_fcn_state_dict  # noqa: E402

GFLOPS_256x512 = REFERENCE_PROFILE[(256, 512)][1]  # = tools/analysis/get_flops
ROWS = ['fcn_r101_voc_321.py', 'fcn_r101_voc_321_fp32.py',
        'fcn_r101_cityscapes_256x512.py']
TINY = {'model.backbone.depth': 18, 'model.backbone.base_channels': 16,
        'model.backbone.stem_channels': 16,
        'model.decode_head.in_channels': 128,
        'model.decode_head.channels': 32}
F16, BF16, F32 = torch.float16, torch.bfloat16, torch.float32
SPEED_MODES = {  # name -> (autocast dtype, channels_last, fuse_bn, compile)
    'fp32': (None, False, False, False),
    'fp16 autocast': (F16, False, False, False),
    'bf16 autocast': (BF16, False, False, False),
    'channels_last': (None, True, False, False),
    'fused BN': (None, False, True, False),
    'fp16 + channels_last': (F16, True, False, False),
    'bf16 + channels_last': (BF16, True, False, False),
    'fp16 + channels_last + fused BN': (F16, True, True, False),
    # compiled last: each compiles first (about a minute on a GPU)
    'compile': (None, False, False, True),
    'compile + fp16 + channels_last': (F16, True, False, True),
}
# each part's share of the budget (what a part leaves passes to the next)
SHARES = {'environment': 0.02, 'reference_table': 0.25, 'speed_modes': 0.25,
          'throughput': 0.08, 'training': 0.25, 'fast_paths': 0.15}


def build_parser():
    parser = ToolParser(description=__doc__.splitlines()[0])
    parser.add_argument('--budget', type=positive_number, default=420,
                        help='seconds for the whole report')
    parser.add_output('--json', default='work_dirs/gpu_report.json',
                        help='the report as JSON; markdown beside it (.md)')
    parser.add_argument('--smoke', action='store_true',
                        help='tiny sizes and iterations, every part (CI)')
    parser.add_argument('--device', default=default_device(),
                        help=DEVICE_HELP)
    return parser


class Report:
    """The measurements so far, saved after each one (JSON + markdown)."""

    def __init__(self, path, budget, start):
        self.path, self.budget = path, budget
        self.start = start
        self.deadline = self.start + budget
        self.data = {'parts': {}, 'skipped': [], 'budget_s': budget}

    def left(self):
        """Seconds left to the running part (its share, and what earlier
        parts left), never past the whole budget."""
        return self.deadline - time.monotonic()

    def skip(self, what, why):
        self.data['skipped'].append(f'{what}: {why}')
        print(f'  skipped {what}: {why}', flush=True)
        self.save()

    def part(self, name, func, *args):
        """Run one part; its rows land in the report as they come."""
        start = time.monotonic()
        spent = sum(SHARES[p] for p in self.data['parts']) * self.budget
        self.deadline = min(self.start + spent + SHARES[name] * self.budget,
                            self.start + self.budget)
        print(f'\n== {name} ({self.left():.0f} s planned)', flush=True)
        result = self.data['parts'][name] = {'rows': []}
        try:
            func(result, *args)
        except Exception as exc:  # noqa: BLE001 - the rest still runs
            result['error'] = f'{type(exc).__name__}: {exc}'.splitlines()[0]
            print(f'  failed: {result["error"]}', flush=True)
        result['wall_s'] = round(time.monotonic() - start, 1)
        self.save()

    def save(self):
        self.data['wall_s'] = round(time.monotonic() - self.start, 1)
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        for path, text in ((self.path, json.dumps(self.data, indent=1)),
                           (osp.splitext(self.path)[0] + '.md',
                            markdown(self.data))):
            write_text(path, text)


def markdown(data):
    """The report as markdown tables, one per part."""
    lines = [f'# fcn_plugin device report ({data.get("wall_s", 0):.0f} s)']
    env = data['parts'].get('environment', {})
    for key, value in env.items():
        if key not in ('rows', 'wall_s'):
            lines.append(f'- {key}: {value}')
    for name, part in data['parts'].items():
        rows = part.get('rows') or []
        if name == 'environment':
            continue
        lines += ['', f'## {name} ({part.get("wall_s", 0)} s)']
        for key, value in part.items():
            if key not in ('rows', 'wall_s'):
                lines.append(f'- {key}: {value}')
        if rows:
            keys = list(rows[0])
            lines += ['| ' + ' | '.join(keys) + ' |',
                      '|' + '---|' * len(keys)]
            lines += ['| ' + ' | '.join(_cell(r.get(k)) for k in keys) + ' |'
                      for r in rows]
    if data['skipped']:
        lines += ['', '## skipped'] + [f'- {s}' for s in data['skipped']]
    return '\n'.join(lines) + '\n'


def _cell(value):
    if isinstance(value, float):
        return f'{value:.4g}'
    return '' if value is None else str(value)


def environment(result, device, smoke):
    result['device'] = bm.device_name(device)
    result['torch'] = torch.__version__
    result['python'] = platform.python_version()
    result['cpu cores'] = os.cpu_count()
    if torch.device(device).type == 'cuda':
        result['cuda'] = torch.version.cuda
        result['cudnn'] = torch.backends.cudnn.version()
        # PyTorch's defaults: "fp32" convolutions run TF32 on tensor cores
        # (cuDNN), matmuls true fp32; the reference's 2080 Ti has no TF32
        result['tf32 convolutions'] = torch.backends.cudnn.allow_tf32
        result['tf32 matmuls'] = torch.backends.cuda.matmul.allow_tf32
        try:
            result['driver'] = subprocess.run(
                ['nvidia-smi', '--query-gpu=driver_version',
                 '--format=csv,noheader'], capture_output=True, text=True,
                timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            result['driver'] = 'unknown (no nvidia-smi)'
    result['mode'] = 'smoke (tiny sizes, not figures)' if smoke else 'full'


def timed_if_cheap(report, items, estimate, forward, x, amp=False):
    """Seconds per forward of ``forward`` at ``x``'s size, timed there
    (one untimed forward, one timed) when ``estimate`` says that costs under
    a tenth of an item's share of the time left; else ``None``. The pixel
    scaling over-estimates where a small input leaves a GPU idle (256x512
    at batch 1 is bound by kernel launches on an H200)."""
    if 2 * estimate < report.left() / max(items, 1) / 10:
        return bm.seconds_per_forward(forward, x, amp)
    return None


def plan(report, items, per_iter, warmup, iters, repeat, fixed=0.0):
    """The largest ``(warmup, iters, repeat)`` <= the protocol that fits in
    1 / ``items`` of the part's time left once the one-off cost ``fixed``
    (compiling, generating data) is paid, or ``None``."""
    allowed = (report.left() - fixed) / max(items, 1)
    per_iter = max(per_iter, 1e-4)  # a probe too fast to time
    for r in range(repeat, 0, -1):
        for w in sorted({warmup, min(warmup, 3), min(warmup, 1)},
                        reverse=True):
            fit = int(allowed / (per_iter * r) - w)
            if fit >= 1:
                return w, min(iters, fit), r
    return None


def models():
    """The plugin model (Cityscapes row, 19 classes) and the plain-PyTorch
    reference FCN, with the same weights."""
    cfg = load_config(osp.join(REPO, 'configs', ROWS[2]))
    plugin = build_segmentor(cfg)
    reference = randomize_(ReferenceFCN(19), seed=0).eval()
    plugin.load_state_dict(convert_fcn_state_dict(reference.state_dict())[0])
    return plugin, reference


def reference_table(result, report, device, sizes, protocol, plugin,
                    reference):
    ref = bm.prepare_model(reference, device)
    ours = bm.prepare_model(plugin, device)
    report.data['forward_s'] = {}
    for index, (h, w) in enumerate(sizes):
        x = bm.make_input((h, w), 1, device)
        if index == 0:  # the smallest, timed; the others scaled from it
            per_forward = bm.seconds_per_forward(ours, x)
            per_mpx = report.data['forward_s_per_megapixel'] = \
                per_forward / (h * w / 1e6)
        else:  # by pixels, where the device is busy
            scaled = per_mpx * h * w / 1e6
            per_forward = timed_if_cheap(report, len(sizes) - index, scaled,
                                         ours, x) or scaled
        report.data['forward_s'][f'{h}x{w}'] = per_forward
        per_iter = 2 * per_forward  # both models
        chosen = plan(report, len(sizes) - index, per_iter, *protocol)
        if chosen is None:
            report.skip(f'reference table {h}x{w}', 'does not fit the budget')
            continue
        warmup, iters, repeat = chosen
        fps = {'ref': [], 'ours': []}
        for _ in range(repeat):  # alternating
            fps['ref'].append(bm.time_fps(ref, x, warmup, iters))
            fps['ours'].append(bm.time_fps(ours, x, warmup, iters))
        ratio = max(fps['ours']) / max(fps['ref'])
        result['rows'].append({
            'input': f'{h}x{w}', 'fcn_plugin FPS': max(fps['ours']),
            'plain-PyTorch reference FPS': max(fps['ref']),
            'ratio (>= 0.97)': ratio, 'ratio ok': ratio >= 0.97,
            'reference paper FPS (2080 Ti)': REFERENCE_PROFILE.get((h, w), (None,))[0],
            'protocol': f'{warmup}+{iters} x{repeat}'
                        + ('' if chosen == protocol else ' (reduced)')})
        report.save()


def runnable_modes(cuda, smoke):
    """The speed modes this device can run, and why the others cannot."""
    modes, why = {}, {}
    for name, (dtype, channels_last, fuse_bn, compiled) in \
            SPEED_MODES.items():
        if dtype is F16 and not cuda:
            why[name] = 'fp16 autocast is for GPUs'
        elif dtype is BF16 and cuda and not torch.cuda.is_bf16_supported():
            why[name] = 'this GPU has no bf16'
        elif compiled and (smoke or not cuda):
            why[name] = ('torch.compile: GPU runs only (compiling takes '
                         'minutes on a CPU)')
        else:
            modes[name] = (dtype, channels_last, fuse_bn, compiled)
    return modes, why


def speed_modes(result, report, device, sizes, protocol, plugin, smoke):
    modes, why = runnable_modes(torch.device(device).type == 'cuda', smoke)
    for name, reason in why.items():
        report.skip(f'{name} (every size)', reason)
    todo = len(sizes) * len(modes)
    for h, w in sizes:
        x = bm.make_input((h, w), 1, device)
        expected = base = None
        for name, (dtype, channels_last, fuse_bn, compiled) in modes.items():
            todo -= 1
            what = f'{name} at {h}x{w}'
            if expected is None and name != 'fp32':
                report.skip(what, 'no fp32 base at this size')
                continue
            fixed = 60.0 if compiled else 0.0  # compiling, in the warm-up
            # the fp32 forward of the reference table (at this size, or
            # scaled by pixels)
            guess = report.data.get('forward_s', {}).get(f'{h}x{w}') or \
                report.data.get('forward_s_per_megapixel', 0) * h * w / 1e6
            if plan(report, todo + 1, guess, 1, 1, 1,
                    fixed=fixed + guess / 8) is None:
                report.skip(what, 'does not fit the budget')
                continue
            forward = bm.prepare_model(plugin, device, channels_last,
                                       fuse_bn, compiled)
            xm = x.contiguous(memory_format=torch.channels_last) \
                if channels_last else x
            # a mode's cost is unknown (bf16 on a CPU without it: ~27x
            # fp32): one forward at this size where fp32's is cheap or the
            # mode compiles (another shape would compile twice, the second
            # time for dynamic shapes); else at 1/16 of the pixels, scaled
            per_iter = bm.seconds_per_forward(forward, xm, dtype or False) \
                if compiled else timed_if_cheap(report, todo + 1, guess,
                                                forward, xm, dtype or False)
            if per_iter is None:
                small = bm.make_input((max(h // 4, 32), max(w // 4, 32)), 1,
                                      device, channels_last)
                per_iter = bm.seconds_per_forward(
                    forward, small, dtype or False) * h * w / (
                    small.shape[2] * small.shape[3])
            chosen = plan(report, todo + 1, per_iter, *protocol)
            if chosen is None:
                report.skip(what, f'a forward takes ~{per_iter:.1f} s')
                continue
            warmup, iters, repeat = chosen
            fps = max(bm.time_fps(forward, xm, warmup, iters, dtype or False)
                      for _ in range(repeat))
            out = bm.predict(forward, xm, dtype or False).float()
            if expected is None:
                expected, base = out, fps
            result['rows'].append({
                'input': f'{h}x{w}', 'mode': name, 'FPS': fps,
                'speed-up': fps / base,
                'max logit diff': (out - expected).abs().max().item(),
                'argmax agreement %': 100 * (out.argmax(1) == expected.argmax(
                    1)).float().mean().item(),
                'protocol': f'{warmup}+{iters} x{repeat}'})
            report.save()


def matmul_peak(device, n, dtype):
    """Measured matmul TFLOP/s of an n x n product in ``dtype``."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    bm.synchronize(device)
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < 1.0 or reps < 3:
        a @ b
        reps += 1
        bm.synchronize(device)
    return 2 * n ** 3 * reps / (time.perf_counter() - start) / 1e12


def throughput(result, report, device, size, choose_at, plugin, smoke):
    cuda = torch.device(device).type == 'cuda'
    n = 8192 if cuda else 256 if smoke else 1024
    peaks = {BF16: matmul_peak(device, n, BF16)}
    # "fp32" convolutions run TF32 where PyTorch allows it: their peak too
    tf32 = torch.backends.cudnn.allow_tf32 if cuda else None
    with bm.tf32(tf32):
        peaks[F32] = matmul_peak(device, n, F32)
    result['bf16 matmul peak TFLOP/s'] = peaks[BF16]
    result['fp32 matmul peak TFLOP/s'] = peaks[F32]
    result['fp32 peak measured with TF32'] = bool(tf32)
    # the mode is chosen where the device is busy (1024x2048 is the pixels
    # of 16 images of 256x512); a compiled one would compile at every batch
    modes = report.data['parts'].get('speed_modes', {}).get('rows', [])
    good = [r for r in modes if r['argmax agreement %'] >= 99.5
            and r['input'] == choose_at and not SPEED_MODES[r['mode']][3]]
    best = max(good, key=lambda r: r['FPS'])['mode'] if good else 'fp32'
    dtype, channels_last, fuse_bn, compiled = SPEED_MODES[best]
    result['mode'] = best
    result['mode chosen'] = (f'the fastest at {choose_at} with >= 99.5 % '
                             'argmax agreement, not compiled')
    peak = peaks[BF16 if dtype else F32]  # of the mode's compute dtype
    forward = bm.prepare_model(plugin, device, channels_last, fuse_bn,
                               compiled)
    gflops = GFLOPS_256x512 * size[0] * size[1] / (256 * 512)
    batch, last = 1, 0.0
    while batch <= (4 if smoke else 256):
        x = bm.make_input(size, batch, device, channels_last)
        try:
            per_iter = bm.seconds_per_forward(forward, x, dtype or False)
            chosen = plan(report, 2, per_iter, 3, 20, 1)
            if chosen is None:
                report.skip(f'throughput at batch {batch}',
                            'does not fit the budget')
                break
            images_s = bm.time_fps(forward, x, chosen[0], chosen[1],
                                   dtype or False)
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            result['out of memory at batch'] = batch
            break
        tflops = images_s * gflops / 1000
        result['rows'].append({
            'batch': batch, 'images/s': images_s, 'TFLOP/s': tflops,
            '% of bf16 matmul peak': 100 * tflops / peaks[BF16],
            '% of the mode dtype\'s peak': 100 * tflops / peak})
        report.save()
        if images_s < 1.02 * last:
            break  # no longer gaining
        batch, last = batch * 2, images_s


def row_config(name, smoke, fast_paths=()):
    cfg = load_config(osp.join(REPO, 'configs', name),
                      TINY if smoke else None)
    if cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper':
        cfg.optim_wrapper.cpu_dtype = 'float32'  # bf16 only as a fast path
    return tb.with_fast_paths(cfg, fast_paths)


def training(result, report, device, smoke, batch, tmp, fast_paths=()):
    cuda = torch.device(device).type == 'cuda'
    iters = 1 if smoke else 10 if cuda else 1
    warmup = 1 if cuda else 0  # a CPU has no autotuning or lazy kernels
    roots = {}
    for name in ROWS[:1] if smoke and fast_paths else ROWS:
        cfg = row_config(name, smoke, fast_paths)
        rates = {}
        for data in ('synthetic', 'loader'):
            what = f'{name}, {data} data' + (
                f' + {", ".join(fast_paths)}' if fast_paths else '')
            # measured, or forward + backward + SGD ~ 4.5 forwards (R101
            # on the 2-core CPU; ~3 on GPUs); --smoke trains the tiny
            # model: no estimate from R101
            estimate = 0 if smoke else (
                4.5 * report.data.get('forward_s_per_megapixel', 0) *
                batch * cfg.crop_size[0] * cfg.crop_size[1] / 1e6)
            probe = report.data.get('iteration_s', {}).get(name) or estimate
            generate = 60 if data == 'loader' and not roots else 5
            # through the loader, the warm-up uses up the batches its
            # workers queued ahead (2 per worker): a GPU step is faster
            # than they are made
            drain = 2 * os.cpu_count() if cuda and data == 'loader' else 0
            chosen = plan(report, 1, probe, warmup + drain, iters, 1,
                          fixed=generate)
            if chosen is None:
                report.skip(what, f'an iteration takes ~{probe:.0f} s')
                continue
            alone = None
            if data == 'loader':
                kind = 'voc' if 'voc' in name else 'cityscapes'
                if kind not in roots:
                    roots[kind] = tb.generated_data(
                        name, osp.join(tmp, kind), num_train=8 if smoke
                        else 64, cityscapes_size=(256, 512) if smoke
                        else (1024, 2048))
                loader = tb.build_loader(row_config(name, smoke, fast_paths),
                                         batch, roots[kind])
                source = tb.forever(loader)
                alone = tb.loader_rate(source, 2 * tb.prefetch_depth(loader)
                                       + 2)
            else:
                source = tb.synthetic_batches(cfg, batch)
            print(f'  timing {what}', flush=True)
            seconds, peak, wrapper = tb.time_training(
                row_config(name, smoke, fast_paths), device, source,
                chosen[1], chosen[0])
            report.data.setdefault('iteration_s', {})[name] = seconds
            rates[data] = 1 / seconds
            versus = against_reference(report, device, smoke, name, cfg,
                                       batch, seconds, chosen) \
                if data == 'synthetic' and not fast_paths else {}
            result['rows'].append({
                'config': name, 'fast paths': ', '.join(fast_paths) or '-',
                'wrapper': wrapper, 'data': data, 'batch': batch,
                'iterations/s': 1 / seconds, 'images/s': batch / seconds,
                'reference it/s': versus.get('reference it/s'),
                'plugin / reference': versus.get('ratio'),
                'host waits / step': versus.get('waits'),
                'loader alone batches/s': alone, 'peak MiB': peak,
                'protocol': f'{chosen[1]} after {chosen[0]} warm-up',
                'verdict': ''})
            report.save()
        if len(rates) == 2:
            result['rows'][-1]['verdict'] = tb.verdict(
                rates['synthetic'], rates['loader'],
                result['rows'][-1]['loader alone batches/s'])
        if cuda and not fast_paths and not smoke:
            largest_batch(result, report, device, name, batch,
                          len(ROWS) - ROWS.index(name))
        report.save()


def against_reference(report, device, smoke, name, cfg, batch, seconds,
                      chosen):
    """The row's step (``model.train_step`` through its optimizer wrapper,
    batches on the device) and the reference's plain-PyTorch step
    (``tooling/reference_training.py``, the same weights' layout, batch and
    crop), timed alternately; the host waits in one row step. ``{}`` (and
    said) when it does not fit the time left."""
    fits = plan(report, 1, 2 * seconds, chosen[0], chosen[1], 3)
    if fits is None:
        report.skip(f'{name} against the reference step',
                    f'~{2 * seconds:.1f} s an iteration pair')
        return {}
    warmup, iters, rounds = fits
    reference = randomize_(ReferenceFCN(
        cfg.model.decode_head.num_classes,
        layers=(1, 1, 1, 1) if smoke else (3, 4, 23, 3)), seed=0)
    step = reference_step(reference, cfg, device,
                          *reference_batch(cfg, batch, device))
    plugin_s, reference_s, waits = tb.time_against_reference(
        cfg, device, tb.synthetic_batches(cfg, batch), step, iters, warmup,
        rounds)
    return {'reference it/s': 1 / reference_s,
            'ratio': reference_s / plugin_s, 'waits': waits}


def largest_batch(result, report, device, name, batch, rows_left,
                  limit=512):
    """The largest batch (doubling from ``batch`` to ``limit``) whose
    training iteration of row ``name`` fits on the GPU, if its cost (an
    iteration at each batch and a model build, ~2 s, for each) fits
    1 / ``rows_left`` of the time left."""
    per_image = report.data.get('iteration_s', {}).get(name, 0) / batch
    batches = [batch * 2 ** i
               for i in range(int(math.log2(limit / batch)) + 1)]
    cost = sum(2 + b * per_image for b in batches)
    if not per_image or cost > report.left() / rows_left:
        report.skip(f'largest batch of {name}', f'~{cost:.0f} s does not '
                    'fit the budget')
        return
    fits = tb.largest_batch(lambda: row_config(name, False), device,
                            start=batch, limit=limit)
    result.setdefault('largest batch', {})[name] = \
        f'>= {fits}' if fits == limit else fits


def main():
    args = build_parser().parse_args()
    device = args.device
    report = Report(args.json, args.budget, STARTED)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(128 + signal.SIGTERM))
    cuda = torch.device(device).type == 'cuda'
    sizes = [(32, 64), (64, 128)] if args.smoke else \
        [(256, 512), (512, 1024), (1024, 2048)]
    mode_sizes = sizes[:1] if args.smoke else [sizes[0], sizes[2]]
    protocol = (1, 2, 1) if args.smoke else (10, 300, 3)
    # torch.compile is timed for inference (speed_modes): compiling each
    # row's train_step, backward included, takes minutes apiece
    fast = [p for p in tb.FAST_PATHS if p != 'compile' and
            (p != 'bf16' or (cuda and torch.cuda.is_bf16_supported()))]
    tmp = tempfile.mkdtemp(prefix='gpu_report_')
    try:
        report.part('environment', environment, device, args.smoke)
        plugin, reference = models()
        report.part('reference_table', reference_table, report, device,
                    sizes, protocol, plugin, reference)
        tiny = build_segmentor(row_config(ROWS[2], True)) if args.smoke \
            else plugin
        report.part('speed_modes', speed_modes, report, device, mode_sizes,
                    protocol, tiny, args.smoke)
        report.part('throughput', throughput, report, device, mode_sizes[0],
                    '{}x{}'.format(*mode_sizes[-1]), tiny, args.smoke)
        batch = 2 if args.smoke else 8
        report.part('training', training, report, device, args.smoke, batch,
                    tmp)
        report.skip('compile (training fast path)', 'compiling each row\'s '
                    'train_step takes minutes; its inference speed-up is '
                    'in speed_modes, its losses are tested on CPU')
        report.part('fast_paths', training, report, device, args.smoke,
                    batch, tmp, fast)
    finally:
        report.save()
        print('\n' + markdown(report.data))
        print(f'report: {args.json} and {osp.splitext(args.json)[0]}.md')
    return 0


if __name__ == '__main__':
    with user_errors():
        sys.exit(main())
