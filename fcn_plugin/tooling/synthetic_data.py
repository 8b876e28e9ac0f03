"""Small generated datasets in the real VOC and Cityscapes folder layouts.

Used by ``make demo`` and the tests, so that the code paths for real data run
without any download. Each image holds a few filled shapes whose colour
identifies the class (plus noise and texture), so a model can learn them in
a few dozen iterations; labels carry a 255 "void" outline like VOC's.
Everything is deterministic for a given ``seed``.
"""
import os
import os.path as osp

import cv2
import numpy as np

from ..datasets.transforms.cityscapes_label_id_map import LABEL_ID_TO_TRAIN_ID

# One distinct colour (BGR) per drawn class.
_COLOURS = [(40, 40, 200), (40, 200, 40), (200, 40, 40), (40, 200, 200),
            (200, 40, 200), (200, 200, 40), (120, 60, 220), (220, 120, 60)]


def draw_sample(rng, height, width, classes, void_outline=True,
                background=(60, 110)):
    """Return a BGR uint8 image and a uint8 label map with shapes of classes,
    on a noise background of the levels ``[low, high)`` (fewer levels, a
    smaller PNG: ``(80, 84)`` at 1024x2048 is a real Cityscapes frame's
    ~2.2 MB; the default at 500x375 a real VOC JPEG's ~100 KB)."""
    img = rng.integers(*background, size=(height, width, 3)).astype(np.int16)
    label = np.zeros((height, width), np.uint8)
    for _ in range(rng.integers(1, 4)):
        idx = int(rng.integers(len(classes)))
        cls, colour = classes[idx], _COLOURS[idx % len(_COLOURS)]
        mask = np.zeros((height, width), np.uint8)
        cy, cx = rng.integers(height // 5, height * 4 // 5), rng.integers(
            width // 5, width * 4 // 5)
        ry, rx = rng.integers(height // 8, height // 3), rng.integers(
            width // 8, width // 3)
        if rng.random() < 0.5:
            cv2.ellipse(mask, (int(cx), int(cy)), (int(rx), int(ry)), 0, 0,
                        360, 1, -1)
        else:
            cv2.rectangle(mask, (int(cx - rx), int(cy - ry)),
                          (int(cx + rx), int(cy + ry)), 1, -1)
        inside = mask.astype(bool)
        img[inside] = np.array(colour) + rng.integers(
            -25, 26, size=(inside.sum(), 3))
        label[inside] = cls
        if void_outline:
            edge = cv2.morphologyEx(mask, cv2.MORPH_GRADIENT,
                                    np.ones((3, 3), np.uint8)).astype(bool)
            label[edge] = 255
    return np.clip(img, 0, 255).astype(np.uint8), label


def make_voc_sample(root, num_train=24, num_val=6, size_range=(150, 260),
                    seed=0):
    """Write ``root/VOC2012`` in the reference trainaug layout; return its path.

    Classes 1..8 of the 21 VOC classes appear (0 is background).
    """
    rng = np.random.default_rng(seed)
    voc = osp.join(root, 'VOC2012')
    for sub in ('JPEGImages', 'SegmentationClassAug', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(voc, sub), exist_ok=True)
    splits = {'trainaug': num_train, 'val': num_val}
    index = 0
    for split, count in splits.items():
        ids = []
        for _ in range(count):
            height, width = (int(v) for v in rng.integers(*size_range, size=2))
            img, label = draw_sample(rng, height, width, list(range(1, 9)))
            name = f'2007_{index:06d}'
            index += 1
            cv2.imwrite(osp.join(voc, 'JPEGImages', name + '.jpg'), img,
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(osp.join(voc, 'SegmentationClassAug', name + '.png'),
                        label)
            ids.append(name)
        with open(osp.join(voc, 'ImageSets/Segmentation', f'{split}.txt'),
                  'w') as f:
            f.writelines(i + '\n' for i in ids)
    return voc


def make_cityscapes_sample(root, num_train=4, num_val=2, size=(256, 512),
                           seed=0):
    """Write ``root/cityscapes`` with raw ``*_gtFine_labelIds.png`` labels.

    ``size`` is (h, w); the real data is 1024x2048. Labels use raw ids
    (e.g. 7 = road, 26 = car, 0 = unlabeled); return the dataset root.
    """
    rng = np.random.default_rng(seed)
    city_root = osp.join(root, 'cityscapes')
    for img_path, seg_path in cityscapes_paths(
            city_root, {'train': num_train, 'val': num_val}):
        img, label = draw_sample(rng, *size, CITYSCAPES_LABEL_IDS[:8],
                                 void_outline=False)
        cv2.imwrite(img_path, img)
        cv2.imwrite(seg_path, label)
    return city_root


# raw label ids that are classes (e.g. 7 = road, 26 = car)
CITYSCAPES_LABEL_IDS = [i for i, t in enumerate(LABEL_ID_TO_TRAIN_ID)
                        if t != 255]


def cityscapes_paths(city_root, counts):
    """``(image, label)`` paths of ``counts[split]`` frames per split in the
    Cityscapes layout (one city a split), their folders made."""
    paths = []
    for split, count in counts.items():
        city = 'aachen' if split == 'train' else 'frankfurt'
        img_dir = osp.join(city_root, 'leftImg8bit', split, city)
        seg_dir = osp.join(city_root, 'gtFine', split, city)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(seg_dir, exist_ok=True)
        for i in range(count):
            stem = f'{city}_{i:06d}_000019'
            paths.append((osp.join(img_dir, f'{stem}_leftImg8bit.png'),
                          osp.join(seg_dir, f'{stem}_gtFine_labelIds.png')))
    return paths
