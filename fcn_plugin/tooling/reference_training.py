"""The reference's training step in plain PyTorch, timed beside the plugin's
(``benchmarks/gpu_report.py``), and a count of the host's waits for the
device in a step.

pytorch-auto-drive's FCN loop, per iteration: the model's 1/8 logits
upsampled bilinearly (``align_corners=True``) to the label, cross-entropy
averaged over the pixels not labelled 255, ``zero_grad``, backward, SGD
(the row's lr, momentum and weight decay, on every parameter) and the poly
learning rate ``base * (1 - i / N) ** 0.9``; the mixed rows under
``torch.autocast`` (fp16) with a ``GradScaler`` on a GPU. The batch is
already normalized on the device, as the reference's loader delivers it.
"""
import torch
import torch.nn.functional as F


def reference_step(model, cfg, device, images, labels):
    """A function running one reference training iteration of ``model``
    (the plain-PyTorch FCN, moved to ``device``) on ``images``/``labels``
    with the optimizer settings, schedule and precision of row ``cfg``."""
    model = model.to(device).train()
    settings = cfg.optim_wrapper.optimizer
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.lr,
                                momentum=settings.momentum,
                                weight_decay=settings.weight_decay)
    total = cfg.train_cfg.max_iters
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda i: (1 - i / total) ** 0.9)
    cuda = torch.device(device).type == 'cuda'
    mixed = cuda and cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper'
    scaler = None
    if cuda:  # torch.amp's from torch 2.3, torch.cuda.amp's before
        scaler = torch.amp.GradScaler('cuda', enabled=mixed) if hasattr(
            torch.amp, 'GradScaler') else torch.cuda.amp.GradScaler(
                enabled=mixed)

    def step():
        with torch.autocast(torch.device(device).type, dtype=torch.float16,
                            enabled=mixed):
            logits = F.interpolate(model(images), size=labels.shape[-2:],
                                   mode='bilinear', align_corners=True)
            loss = F.cross_entropy(logits, labels, ignore_index=255)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        schedule.step()

    return step


def reference_batch(cfg, batch, device):
    """Normalized images and labels (255 in a border) of the row's crop."""
    h, w = cfg.crop_size
    gen = torch.Generator().manual_seed(0)
    images = torch.randn(batch, 3, h, w, generator=gen)
    labels = torch.randint(0, cfg.model.decode_head.num_classes,
                           (batch, h, w), generator=gen)
    labels[:, :h // 10] = 255
    return images.to(device), labels.to(device)


class HostWaits:
    """Counts the host's waits for the device while active: on a GPU the
    synchronizations torch reports (``torch.cuda.set_sync_debug_mode``),
    elsewhere the reads of tensor values by the host (``item``, ``tolist``,
    ``cpu``, ``numpy``, ``bool``/``float``/``int`` of a tensor), each of
    which is one on a GPU."""

    READS = ('item', 'tolist', 'cpu', 'numpy', '__bool__', '__float__',
             '__int__')

    def __init__(self, device='cpu'):
        self.cuda = torch.device(device).type == 'cuda'
        self.count = 0

    def __enter__(self):
        if self.cuda:
            import warnings
            self._catcher = warnings.catch_warnings(record=True)
            self._records = self._catcher.__enter__()
            warnings.simplefilter('always')
            torch.cuda.set_sync_debug_mode('warn')
        else:
            self._originals = {n: getattr(torch.Tensor, n) for n in self.READS}
            for name, method in self._originals.items():
                setattr(torch.Tensor, name, self._counting(method))
        return self

    def _counting(self, method):
        def counted(tensor, *args, **kwargs):
            self.count += 1
            return method(tensor, *args, **kwargs)
        return counted

    def __exit__(self, *exc):
        if self.cuda:
            torch.cuda.set_sync_debug_mode(0)
            self.count += sum('synchroniz' in str(r.message)
                              for r in self._records)
            self._catcher.__exit__(*exc)
        else:
            for name, method in self._originals.items():
                setattr(torch.Tensor, name, method)
        return False
