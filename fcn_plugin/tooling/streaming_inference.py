"""``tools/infer.py``'s loop: any number of images, in flat memory, at the
model's speed.

mmseg's ``MMSegInferencer(folder)`` keeps every image's logits until the
last is done and writes nothing until then, and its visualizer draws an
overlay in seconds (4-7 s a 1024x2048 frame on a CPU: per class, a mask
compared over the whole image, then class names drawn). Here:

- reading, the model and writing overlap: worker threads decode the next
  images (OpenCV releases the GIL) while the model runs a batch, and
  others blend, encode and write the finished ones, each stage behind a
  bounded queue, so memory is that of a few batches whatever the folder;
- the model is mmseg's inferencer (its pipeline, model and post-processing
  as configured), a batch of same-sized images at a time;
- the overlay is :func:`overlay`: mmseg's segmentation drawing (the same
  palette, opacity and blend) as one palette lookup and one blend, ~0.1 s a
  frame; ``labels=True`` draws with mmseg's visualizer, class names and all;
  both in the model's own palette (mmseg's inferencer would use
  Cityscapes' for any model);
- every file is written under a temporary name and renamed when complete
  (:mod:`.output_files`); the output folder is locked for the run;
- an input that cannot be an image (empty, undecodable, or a header
  claiming more than :data:`~.inference.MAX_PIXELS`) is named and skipped;
  every other image is written.
"""
import os
import os.path as osp
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby

import numpy as np
import torch

from ..engine.work_dir_lock import lock_folder
from .inference import read_image
from .output_files import write_image

ORIENTATION_TAG = 0x0112  # EXIF; 1 = upright as stored


def batches(items, size):
    """``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def exif_rotated(path):
    """Whether ``path`` carries an EXIF orientation other than as stored
    (read from the header, nothing decoded)."""
    from PIL import Image
    try:
        with Image.open(path) as img:
            return img.getexif().get(ORIENTATION_TAG, 1) != 1
    except Exception:  # noqa: BLE001 - not for PIL; the decoder will say
        return False


def palette_table(palette):
    """A (256, 3) uint8 lookup: class index -> its colour; the indices
    without a class (255, ignore) black, as mmseg leaves them."""
    table = np.zeros((256, 3), np.uint8)
    colours = np.asarray(palette, np.uint8)[:256]
    table[:len(colours)] = colours
    return table


def overlay(image, class_map, table, opacity):
    """mmseg's ``SegLocalVisualizer._draw_sem_seg`` without class names:
    ``image * (1 - opacity) + colour * opacity``, truncated to uint8, over
    every pixel (a pixel of no class blends with black). ``image`` and
    ``table`` in one channel order (BGR here, RGB in mmseg); the same
    float64 arithmetic, so the same pixels."""
    mask = table[class_map]
    return (image * (1 - opacity) + mask * opacity).astype(np.uint8)


class StreamingSegmenter:
    """mmseg's ``MMSegInferencer`` for ``cfg`` and ``checkpoint`` on
    ``device``, run over images into ``out_dir/vis/<name>`` (the overlay, the
    input's format; left out with ``overlay=False``) and
    ``out_dir/pred/<name>.png`` (class indices, uint8, at the input's size).
    """

    def __init__(self, cfg, checkpoint, device, out_dir, opacity,
                 overlays=True, labels=False, threads=None):
        import fcn_plugin  # noqa: F401  (before mmseg's models: mmcv-lite)
        from mmseg.apis import MMSegInferencer

        from ..import_noise import CHECKPOINT_NOISE, without_import_noise
        with without_import_noise(CHECKPOINT_NOISE):  # mmengine's raw print
            self.inferencer = MMSegInferencer(model=cfg, weights=checkpoint,
                                              device=device)
        self.inferencer.show_progress = False  # ours covers the whole run
        self.inferencer.visualizer.alpha = opacity
        meta = self.inferencer.model.dataset_meta or {}
        if meta.get('classes') and meta.get('palette'):
            # the model's own classes and colours (the checkpoint's); left
            # alone, mmseg's inferencer draws Cityscapes' for any model
            self.inferencer.visualizer.set_dataset_meta(
                list(meta['classes']), [list(c) for c in meta['palette']])
        self.opacity, self.overlays, self.labels = opacity, overlays, labels
        # the visualizer draws RGB; our images are BGR: the table is BGR
        palette = self.inferencer.visualizer.dataset_meta['palette']
        self.table = palette_table([tuple(c)[::-1] for c in palette])
        self.lock = lock_folder(out_dir, '.infer.lock', 'inference', '--out')
        self.vis_dir = osp.join(out_dir, 'vis')
        self.pred_dir = osp.join(out_dir, 'pred')
        os.makedirs(self.pred_dir, exist_ok=True)
        if overlays:
            os.makedirs(self.vis_dir, exist_ok=True)
        self.threads = threads or self.default_threads()
        self._visualizer = threading.Lock()  # mmseg's is one, shared

    @staticmethod
    def default_threads():
        """Decoding (and writing) threads: the cores this process may use
        (a SLURM task's, not the node's), 2 to 8."""
        from ..engine.concise_console_runner import usable_cores
        return max(2, min(8, usable_cores()))

    def outputs(self, path):
        """The files input ``path`` gets: class map, and overlay unless
        ``overlays=False``; named after it, extension kept (a.jpg and a.png
        give pred/a.jpg.png, pred/a.png.png)."""
        name = osp.basename(path)
        pred = osp.join(self.pred_dir, name + '.png')
        return [pred, osp.join(self.vis_dir, name)] if self.overlays \
            else [pred]

    def done(self, path):
        return all(osp.isfile(o) for o in self.outputs(path))

    def run(self, paths, batch_size, progress=None):
        """Infer and write ``paths``; return ``(written, [(path, why)])``.

        Decoding runs ahead of the model by a few batches, writing behind
        it by a few batches, in :attr:`threads` threads each."""
        ahead = max(2 * batch_size, self.threads)
        skipped, written = [], 0
        with ThreadPoolExecutor(self.threads) as readers, \
                ThreadPoolExecutor(self.threads) as writers:
            reading = deque()
            pending = iter(paths)
            writing = deque()

            def fill():
                while len(reading) < ahead:
                    path = next(pending, None)
                    if path is None:
                        return
                    reading.append((path, readers.submit(read_image, path)))

            try:
                fill()
                while reading:
                    batch = []
                    while reading and len(batch) < batch_size:
                        path, future = reading.popleft()
                        image, problem = future.result()
                        if problem:
                            skipped.append((path, problem))
                            if progress:
                                progress.update()
                        else:
                            batch.append((path, image))
                    fill()
                    for path, image, class_map in self._infer(batch):
                        writing.append(writers.submit(
                            self._write, path, image, class_map))
                        while len(writing) > ahead:
                            written += self._finish(writing.popleft(),
                                                    progress)
                while writing:
                    written += self._finish(writing.popleft(), progress)
            except BaseException:
                for _, future in reading:
                    future.cancel()
                for future in writing:
                    future.cancel()
                raise
        return written, skipped

    @staticmethod
    def _finish(future, progress):
        future.result()  # a write's error (disk full) stops the run here
        if progress:
            progress.update()
        return 1

    def _infer(self, batch):
        """``(path, image, class map)`` of each decoded image of ``batch``;
        the model sees one image size at a time (its preprocessor stacks)."""
        batch = sorted(batch, key=lambda item: item[1].shape)
        for _, group in groupby(batch, key=lambda item: item[1].shape):
            group = list(group)
            samples = self.inferencer([img for _, img in group],
                                      return_datasamples=True,
                                      batch_size=len(group))
            samples = samples if isinstance(samples, list) else [samples]
            for (path, img), sample in zip(group, samples):
                class_map = sample.pred_sem_seg.data[0].to(
                    torch.uint8).cpu().numpy()
                yield path, img, (class_map, sample)

    def _write(self, path, image, prediction):
        class_map, sample = prediction
        outputs = self.outputs(path)
        write_image(outputs[0], class_map)
        if not self.overlays:
            return
        if self.labels:  # mmseg's visualizer, class names drawn
            import mmcv
            visualizer = self.inferencer.visualizer
            with self._visualizer:
                visualizer.add_datasample(
                    osp.basename(path), mmcv.bgr2rgb(image), sample,
                    draw_gt=False, draw_pred=True, with_labels=True)
                drawn = mmcv.rgb2bgr(visualizer.get_image())
        else:
            drawn = overlay(image, class_map, self.table, self.opacity)
        write_image(outputs[1], drawn)
