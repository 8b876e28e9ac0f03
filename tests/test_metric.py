"""mmseg's IoUMetric equals the reference's confusion-matrix mIoU and pixel
accuracy over a whole set, ignore pixels included."""
import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample


def reference_scores(preds, labels, num_classes):
    """pytorch-auto-drive's evaluation: one confusion matrix over all valid
    pixels of the set; IoU = diag / (row + col - diag); mean over classes."""
    conf = np.zeros((num_classes, num_classes), np.int64)
    for pred, label in zip(preds, labels):
        valid = (label >= 0) & (label < num_classes)
        conf += np.bincount(num_classes * label[valid] + pred[valid],
                            minlength=num_classes**2).reshape(num_classes, -1)
    diag = np.diag(conf)
    iou = diag / (conf.sum(0) + conf.sum(1) - diag)
    return iou.mean() * 100, diag.sum() / conf.sum() * 100


def test_iou_metric_equals_reference_confusion_matrix():
    rng = np.random.default_rng(0)
    num_classes, preds, labels, samples = 5, [], [], []
    for _ in range(4):
        h, w = rng.integers(20, 40, size=2)
        label = rng.integers(0, num_classes, size=(h, w))
        label[rng.random((h, w)) < 0.2] = 255  # ignored pixels
        # predictions agree with the label 60 % of the time
        pred = np.where(rng.random((h, w)) < 0.6, label,
                        rng.integers(0, num_classes, size=(h, w)))
        pred[label == 255] = rng.integers(0, num_classes, size=(h, w))[
            label == 255]
        preds.append(pred)
        labels.append(label)
        sample = SegDataSample(
            pred_sem_seg=PixelData(data=torch.from_numpy(pred)[None]),
            gt_sem_seg=PixelData(data=torch.from_numpy(label)[None]))
        samples.append(sample.to_dict())
    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=[str(i) for i in range(num_classes)])
    metric.process([], samples)
    result = metric.compute_metrics(metric.results)
    miou, pixel_acc = reference_scores(preds, labels, num_classes)
    assert abs(result['mIoU'] - miou) < 0.006  # mmseg rounds to 2 decimals
    assert abs(result['aAcc'] - pixel_acc) < 0.006
    assert 30 < miou < 80  # a non-trivial case
