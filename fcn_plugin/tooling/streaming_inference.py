"""``tools/infer.py``'s loop: any number of images in flat memory.

mmseg's ``MMSegInferencer(folder, return_datasamples=True)`` keeps every
image's logits until the last is done (~17 MB a VOC photo, 160 MB a
Cityscapes frame: 24 GB fill after ~1,500 photos) and writes nothing until
then; its ``visualize`` then decodes every image a second time. Here each
image is decoded once, given to the same inferencer (its pipeline, model
and visualizer) with the images of its batch, and its class map and overlay
are written, each to a temporary name renamed when complete, before the
next batch: memory stays that of one batch, and an interrupted run leaves
only finished outputs. The output folder is locked for the run, so a
second run into it stops instead of replacing the first's files.
"""
import os
import os.path as osp
from itertools import groupby

import cv2
import mmcv
import numpy as np

from ..engine.atomic_checkpoints import TMP_MARK
from ..engine.work_dir_lock import lock_folder

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


def write_image(path, array):
    """Encode ``array`` as ``path``'s format into a temporary file beside
    it and rename it into place: ``path`` is complete or absent."""
    ok, data = cv2.imencode(osp.splitext(path)[1] or '.png', array)
    if not ok:
        raise OSError(f'cannot encode {path}')
    tmp = f'{path}{TMP_MARK}{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(data.tobytes())
    os.replace(tmp, path)


class StreamingSegmenter:
    """mmseg's ``MMSegInferencer`` for ``cfg`` and ``checkpoint``, run a
    batch at a time into ``out_dir/vis/<name>`` (overlay, the input's
    format) and ``out_dir/pred/<name>.png`` (class indices, uint8, at the
    input's size)."""

    def __init__(self, cfg, checkpoint, device, out_dir, opacity):
        import fcn_plugin  # noqa: F401  (before mmseg's models: mmcv-lite)
        from mmseg.apis import MMSegInferencer

        from ..import_noise import CHECKPOINT_NOISE, without_import_noise
        with without_import_noise(CHECKPOINT_NOISE):  # mmengine's raw print
            self.inferencer = MMSegInferencer(model=cfg, weights=checkpoint,
                                              device=device)
        self.inferencer.show_progress = False  # ours covers the whole run
        self.inferencer.visualizer.alpha = opacity
        self.lock = lock_folder(out_dir, '.infer.lock', 'inference', '--out')
        self.vis_dir = osp.join(out_dir, 'vis')
        self.pred_dir = osp.join(out_dir, 'pred')
        os.makedirs(self.vis_dir, exist_ok=True)
        os.makedirs(self.pred_dir, exist_ok=True)

    def outputs(self, path):
        """Overlay and class map of input ``path``: named after it,
        extension kept (a.jpg and a.png give pred/a.jpg.png, pred/a.png.png)."""
        name = osp.basename(path)
        return osp.join(self.vis_dir, name), osp.join(self.pred_dir,
                                                      name + '.png')

    def done(self, path):
        return all(osp.isfile(o) for o in self.outputs(path))

    def run(self, paths):
        """Infer and write ``paths``; return ``(written, [(path, why)])``."""
        decoded, failed = [], []
        for path in paths:
            try:  # 'color' applies an EXIF orientation: the photo upright
                img = mmcv.imread(path)
            except (OSError, ValueError) as exc:
                failed.append((path, str(exc).splitlines()[0]))
                continue
            if img is None:
                failed.append((path, 'not an image'))
            else:
                decoded.append((path, img))
        # the preprocessor stacks a batch: one image size per forward pass
        decoded.sort(key=lambda item: item[1].shape)
        for _, group in groupby(decoded, key=lambda item: item[1].shape):
            group = list(group)
            samples = self.inferencer([img for _, img in group],
                                      return_datasamples=True,
                                      batch_size=len(group))
            samples = samples if isinstance(samples, list) else [samples]
            for (path, img), sample in zip(group, samples):
                self._write(path, img, sample)
        return len(decoded), failed

    def _write(self, path, img, sample):
        vis_path, pred_path = self.outputs(path)
        label = sample.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
        write_image(pred_path, label)
        visualizer = self.inferencer.visualizer
        visualizer.add_datasample(osp.basename(path), mmcv.bgr2rgb(img),
                                  sample, draw_gt=False, draw_pred=True)
        write_image(vis_path, mmcv.rgb2bgr(visualizer.get_image()))
