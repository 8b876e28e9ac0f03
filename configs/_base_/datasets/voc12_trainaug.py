# PASCAL VOC 2012 trainaug (10,582) / val (1,449), the reference pipelines.
_base_ = ['./image_loading.py']
load_image = {{_base_.load_image}}
dataset_type = 'VOCTrainAugDataset'
data_root = 'data/VOCdevkit/VOC2012'
num_classes = 21
crop_size = (321, 321)
train_pipeline = [
    load_image,
    dict(type='CheckedLoadAnnotations', num_classes=num_classes),
    # Reference: rescale by U(0.5, 1.5), pad right/bottom to the crop size
    # when smaller, then crop, all before normalizing, so the pad is black
    # (0) and ignored (255). RandomScaleCrop = RandomScale + mmseg's
    # RandomCrop (min(crop, image) at a uniform offset), the same samples,
    # label gathered in the crop only; then mmcv's Pad pads right/bottom
    # with 0 / 255 before the flip: the reference's samples (the
    # preprocessor would pad after normalizing, i.e. with the mean).
    dict(type='RandomScaleCrop', ratio_range=(0.5, 1.5), crop_size=crop_size),
    dict(type='Pad', size=crop_size, pad_val=dict(img=0, seg=255)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# img_padding_size lets the segmentor crop the padding off the logits
pack_with_padding = dict(
    type='PackSegInputs',
    meta_keys=('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
               'pad_shape', 'scale_factor', 'flip', 'flip_direction',
               'reduce_zero_label', 'img_padding_size'))
# The label steps do nothing without a label, so mmseg's inference_model and
# MMSegInferencer use this pipeline as it is.
test_pipeline = [
    load_image,
    dict(type='CheckedLoadAnnotations', num_classes=num_classes),
    dict(type='PadImageForTest', size=(505, 505)),  # no resize
    pack_with_padding,
]
# tools/test.py --tta (not in the reference): mmseg's usual scales and flip.
# Each view is padded like the plain test; the padding is cropped off its
# logits, which are averaged at the image's size and scored against the same
# unpadded label as the plain test (loaded after resize and flip, unchanged).
tta_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    load_image,
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale_factor=r, keep_ratio=True)
             for r in tta_ratios],
            [dict(type='RandomFlip', prob=0., direction='horizontal'),
             dict(type='RandomFlip', prob=1., direction='horizontal')],
            [dict(type='PadImageForTest', size=(505, 505))],
            [dict(type='CheckedLoadAnnotations', num_classes=num_classes)],
            [pack_with_padding],
        ])
]
train_dataloader = dict(
    batch_size=8,
    # 8 workers feed a GPU's 15-19 steps/s (H200 report: 16 workers made
    # 49-72 batches/s, 3-4.5 a worker; 4 could not keep up); pinned
    # batches, copied non-blocking. Capped at the cores there are.
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    # reference: random order every epoch, last partial batch kept.
    # ResumableSampler = mmengine's DefaultSampler order, positioned without
    # loading on --resume, each sample augmented from its own seed (so the
    # same samples for any num_workers); workers leave Ctrl-C to the main
    # process, which checkpoints and exits (PreemptionHook)
    # (1,323 iterations per epoch)
    sampler=dict(type='ResumableSampler', shuffle=True),
    worker_init_fn=dict(type='worker_ignores_terminal_signals'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/trainaug.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
