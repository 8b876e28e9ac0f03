"""Inference speed measured the reference's way ("simple" FPS).

pytorch-auto-drive's ``tools/profiling.py``: model in eval mode, a constant
input already on the device, 10 warm-up forwards, then 300 timed forwards
under ``no_grad``, each followed by the bilinear upsample of the logits to
the input size (``align_corners=True``); one synchronize before and after the
timed loop; FPS = images / elapsed; best of 3 trials.
"""
import contextlib
import copy
import time

import torch
import torch.nn.functional as F
from mmengine.model import revert_sync_batchnorm


def synchronize(device):
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize()


def prepare_model(model, device, channels_last=False, fuse_bn=False,
                  compile_model=False):
    """Eval-mode copy of ``model`` on ``device`` with the chosen speed-ups.

    Returns a function ``inputs -> 1/8-resolution logits``.
    """
    # one process, as mmengine's Runner does when not distributed: SyncBN ->
    # BatchNorm (same maths in eval, less Python per layer)
    model = revert_sync_batchnorm(copy.deepcopy(model)).eval().to(device)
    if fuse_bn:  # fold eval-mode BatchNorm into the preceding convolution
        from mmcv.cnn import fuse_conv_bn
        model = fuse_conv_bn(model)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    forward = model._forward if hasattr(model, '_forward') else model
    if compile_model:
        # a fresh compile for this fixed input shape: no graphs of earlier
        # models, no recompiling for dynamic shapes
        torch._dynamo.reset()
        forward = torch.compile(forward, dynamic=False)
    return forward


def make_input(shape, batch, device, channels_last=False):
    """The constant input: ``(batch, 3, H, W)`` already on the device."""
    x = torch.randn(batch, 3, *shape, generator=torch.Generator().manual_seed(0))
    x = x.to(device)
    return x.contiguous(memory_format=torch.channels_last) if channels_last \
        else x


def autocast_context(device, amp):
    """Autocast in ``amp`` when it is a dtype; ``True``: fp16 on CUDA, bf16
    on CPU; a no-op without ``amp``."""
    if not amp:
        return contextlib.nullcontext()
    device_type = torch.device(device).type
    dtype = amp if isinstance(amp, torch.dtype) else (
        torch.float16 if device_type == 'cuda' else torch.bfloat16)
    return torch.autocast(device_type=device_type, dtype=dtype)


def predict(forward, x, amp=False):
    """Forward + bilinear upsample to the input size (align_corners=True)."""
    with torch.no_grad(), autocast_context(x.device, amp):
        logits = forward(x)
        return F.interpolate(logits, size=x.shape[-2:], mode='bilinear',
                             align_corners=True)


def time_fps(forward, x, warmup=10, iters=300, amp=False, report=None,
             report_every=30.0):
    """One trial: images per second over ``iters`` timed forwards.

    ``report(done, total)``, if given, is called at most every
    ``report_every`` seconds during the timed loop (progress on slow
    devices; one clock read per forward, nothing else).
    """
    return time_steps(lambda: predict(forward, x, amp), x.shape[0],
                      x.device, warmup, iters, report, report_every)


def time_steps(step, images, device='cpu', warmup=10, iters=300,
               report=None, report_every=30.0):
    """:func:`time_fps` for any ``step()`` that predicts ``images`` images
    (e.g. an ONNX Runtime session's run)."""
    for _ in range(warmup):
        step()
    synchronize(device)
    start = last = time.perf_counter()
    for i in range(iters):
        step()
        if report is not None and time.perf_counter() - last > report_every:
            last = time.perf_counter()
            report(i + 1, iters)
    synchronize(device)
    return iters * images / (time.perf_counter() - start)


def seconds_per_forward(forward, x, amp=False):
    """Time one forward (after one untimed): for duration estimates."""
    return x.shape[0] / time_fps(forward, x, warmup=1, iters=1, amp=amp)


@contextlib.contextmanager
def tf32(enabled=None):
    """Allow (True) or forbid (False) TF32 in CUDA convs and matmuls inside
    the block; ``None`` keeps PyTorch's setting. No effect on CPU."""
    if enabled is None:
        yield
        return
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = enabled
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


@contextlib.contextmanager
def peak_memory(device, result):
    """Record the peak memory (MiB) of the block into ``result['peak_mib']``.

    CUDA: ``torch.cuda.max_memory_allocated``. CPU: the process's peak
    resident set (Linux ``VmHWM``), reset before the block via
    ``/proc/self/clear_refs`` so each block is measured on its own.
    """
    if torch.device(device).type == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        yield
        result['peak_mib'] = torch.cuda.max_memory_allocated() / 2**20
        return
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass  # not Linux: the peak then includes earlier blocks
    yield
    result['peak_mib'] = _vm_hwm_mib()


def _vm_hwm_mib():
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def device_name(device):
    if torch.device(device).type == 'cuda':
        return torch.cuda.get_device_name(torch.device(device))
    import platform
    try:
        with open('/proc/cpuinfo') as f:
            model = next(line.split(':', 1)[1].strip() for line in f
                         if line.startswith('model name'))
    except (OSError, StopIteration):
        model = platform.processor() or 'CPU'
    return f'{model} ({torch.get_num_threads()} threads)'


def checkpoint_at(source, iteration, max_iters, work_dir):
    """Write ``source``, the last checkpoint of a finished run, re-labelled
    as iteration ``iteration`` of a ``max_iters`` run (meta, message hub,
    LR schedulers, their end too) into ``work_dir``, as
    ``iter_<iteration>.pth``: a late resume point without training to it."""
    import os

    from ..weights import load_checkpoint_file
    ckpt = load_checkpoint_file(source)
    finished = ckpt['meta']['iter']  # the source run's max_iters
    ckpt['meta'].update(iter=iteration)
    ckpt['message_hub']['runtime_info']['iter'] = iteration
    for scheduler in ckpt.get('param_schedulers', []):
        scheduler.update(last_step=iteration, last_epoch=iteration,
                         _step_count=iteration + 1,
                         end=scheduler['end'] - finished + max_iters)
    os.makedirs(work_dir, exist_ok=True)
    torch.save(ckpt, os.path.join(work_dir, f'iter_{iteration}.pth'))
