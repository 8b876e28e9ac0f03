"""Training iterations timed as a row config runs them, with or without the
training fast paths (``benchmarks/train_iteration.py``, ``gpu_report.py``).

An iteration is the config's own ``model.train_step`` (forward, loss,
backward, optimizer step) through its optimizer wrapper, on batches either
already on the device (``synthetic``) or from the row's real train
DataLoader over generated data in the real layout (``loader``; Cityscapes
from the half-resolution copy). :data:`FAST_PATHS` are the options of the
README's "Training fast paths", as ``--cfg-options`` keys.
"""
import os.path as osp
import subprocess
import sys
import time

import torch
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from . import benchmark as bm
from .builder import REPO, build_segmentor, merge_options
from .reference_training import HostWaits

# name -> (--cfg-options, what it changes)
FAST_PATHS = {
    'channels_last': ({'model.channels_last': True},
                      'weights and batches in channels_last layout'),
    'cudnn_benchmark': ({'env_cfg.cudnn_benchmark': True},
                        'cuDNN picks its fastest kernels (GPU)'),
    'compile': ({'compile': True}, "mmengine's torch.compile of train_step"),
    'bf16': ({'optim_wrapper.type': 'MixedPrecisionOptimWrapper',
              'optim_wrapper.dtype': 'bfloat16',
              'optim_wrapper.cpu_dtype': 'bfloat16'},
             'bf16 autocast, no loss scaler (GPU with bf16, and CPU)'),
    'foreach_sgd': ({'optim_wrapper.optimizer.foreach': True},
                    'SGD updates all tensors in one kernel per step'),
}


def with_fast_paths(cfg, names):
    """``cfg`` with the :data:`FAST_PATHS` ``names`` merged in (in place)."""
    for name in names:
        merge_options(cfg, FAST_PATHS[name][0])
    return cfg


def generated_data(name, root, num_train=64, cityscapes_size=(1024, 2048)):
    """A data root in the row's real layout (prepared, for Cityscapes)."""
    from .synthetic_data import make_cityscapes_sample, make_voc_sample
    if 'voc' in name:
        return make_voc_sample(root, num_train=num_train, num_val=2,
                               size_range=(330, 500))
    data = make_cityscapes_sample(root, num_train=num_train, num_val=2,
                                  size=cityscapes_size)
    subprocess.run([sys.executable, osp.join(REPO, 'tools',
                                             'prepare_cityscapes.py'), data],
                   check=True, stdout=subprocess.DEVNULL)
    return data


def synthetic_batches(cfg, batch):
    """One batch of the row's crop and classes, reused for ever."""
    h, w = cfg.crop_size
    classes = cfg.model.decode_head.num_classes
    gen = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[torch.randint(0, 256, (3, h, w), generator=gen,
                              dtype=torch.uint8) for _ in range(batch)],
        data_samples=[SegDataSample(gt_sem_seg=PixelData(
            data=torch.randint(0, classes, (1, h, w), generator=gen)))
            for _ in range(batch)])
    while True:
        yield data


def build_loader(cfg, batch, data_root, workers=None):
    """The row's own train DataLoader over ``data_root``, one worker per
    core unless ``workers`` says otherwise."""
    from mmengine.runner import Runner

    from ..engine.concise_console_runner import fit_loaders, usable_cores
    loader_cfg = cfg.train_dataloader
    loader_cfg.update(batch_size=batch, num_workers=workers or usable_cores())
    loader_cfg.dataset.data_root = data_root
    fit_loaders({'train_dataloader': loader_cfg}, loader_cfg.num_workers)
    return Runner.build_dataloader(loader_cfg, seed=0)


def forever(loader):
    """``loader``'s batches, epoch after epoch."""
    while True:
        yield from loader


def prefetch_depth(loader):
    """The batches a DataLoader's workers hold ready ahead of the training
    (``prefetch_factor`` per worker). A timed loop that starts with them
    queued measures the training, not the input, until they are used up."""
    if not loader.num_workers:
        return 0
    return loader.num_workers * (loader.prefetch_factor or 2)


def loader_rate(source, batches):
    """Batches per second that ``source`` (a loader's :func:`forever`)
    delivers on its own, nothing else running: timed from its first batch
    (workers started) over the next ``batches``. The rate a training
    through it can never exceed."""
    next(source)
    start = time.perf_counter()
    for _ in range(batches):
        next(source)
    return batches / (time.perf_counter() - start)


def build_training(cfg, device):
    """``(model, optim_wrapper, step)`` as the runner builds them for
    ``cfg``: one process (SyncBN -> BN), ``env_cfg.cudnn_benchmark`` and
    ``compile`` applied the way mmengine applies them."""
    cfg.model.backbone.init_cfg = None
    torch.backends.cudnn.benchmark = bool(
        cfg.get('env_cfg', {}).get('cudnn_benchmark', False))
    model = revert_sync_batchnorm(build_segmentor(cfg)).to(device).train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    step = model.train_step
    if cfg.get('compile'):
        step = torch.compile(step)
    return model, optim_wrapper, lambda data: step(data, optim_wrapper)


def describe_wrapper(optim_wrapper, device):
    precision = type(optim_wrapper).__name__
    if torch.device(device).type == 'cpu' and \
            precision == 'MixedPrecisionOptimWrapper':
        precision += f' ({"float32" if optim_wrapper.cpu_fp32 else "bf16"})'
    elif getattr(optim_wrapper, 'cast_dtype', None) is not None:
        precision += f' ({str(optim_wrapper.cast_dtype).split(".")[-1]})'
    return precision


def time_training(cfg, device, source, iters=2, warmup=1):
    """Mean seconds per iteration over ``iters`` after ``warmup``, the peak
    memory (MiB) and the optimizer wrapper's name. An iteration is what the
    runner's loop does: wait for the next batch of ``source``, then step."""
    _, optim_wrapper, step = build_training(cfg, device)
    memory = {}
    with bm.peak_memory(device, memory):
        for _ in range(warmup):
            step(next(source))
        bm.synchronize(device)
        start = time.perf_counter()
        for _ in range(iters):
            step(next(source))
        bm.synchronize(device)
        seconds = (time.perf_counter() - start) / iters
    return seconds, memory['peak_mib'], describe_wrapper(optim_wrapper,
                                                         device)


def time_against_reference(cfg, device, source, reference, iters=2,
                           warmup=1, rounds=3):
    """The row's training step and ``reference`` (a step function, e.g.
    :func:`.reference_training.reference_step`) timed alternately: after
    ``warmup`` iterations of each, ``rounds`` blocks of ``iters`` of one,
    then of the other; returns the seconds per iteration of each (its
    fastest block) and the host waits in one step of the row
    (:class:`.reference_training.HostWaits`)."""
    _, _, step = build_training(cfg, device)

    def plugin():
        step(next(source))

    for _ in range(warmup):
        plugin()
        reference()
    best = {plugin: float('inf'), reference: float('inf')}
    for _ in range(rounds):
        for run in (plugin, reference):
            bm.synchronize(device)
            start = time.perf_counter()
            for _ in range(iters):
                run()
            bm.synchronize(device)
            best[run] = min(best[run], (time.perf_counter() - start) / iters)
    bm.synchronize(device)
    with HostWaits(device) as waits:
        plugin()
    return best[plugin], best[reference], waits.count


def verdict(synthetic, through_loader, loader_alone):
    """Input-bound or not, from iterations/s with batches already on the
    device, through the row's DataLoader, and of the DataLoader alone:
    input-bound when the slower of the last two is under 90 % of the first
    (a short timed loop may still be using up the prefetched batches; the
    loader's own rate is what a long run gets)."""
    ratio = min(through_loader, loader_alone) / synthetic
    return (f'{"INPUT-BOUND" if ratio < 0.9 else "not input-bound"} '
            f'(loader {100 * ratio:.0f} % of synthetic)')


def largest_batch(cfg_factory, device, start=8, limit=256):
    """The largest batch (doubling from ``start``) whose training iteration
    fits in the GPU's memory; ``None`` on CPU (no out-of-memory to find)."""
    if torch.device(device).type != 'cuda':
        return None
    fits, batch = None, start
    while batch <= limit:
        try:
            time_training(cfg_factory(), device,
                          synthetic_batches(cfg_factory(), batch), iters=1,
                          warmup=0)
            fits = batch
        except torch.cuda.OutOfMemoryError:
            break
        finally:
            torch.cuda.empty_cache()
        batch *= 2
    return fits
