# PASCAL VOC 2012 trainaug (10,582) / val (1,449), the reference pipelines.
dataset_type = 'VOCTrainAugDataset'
data_root = 'data/VOCdevkit/VOC2012'
num_classes = 21
crop_size = (321, 321)
train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='CheckedLoadAnnotations', num_classes=num_classes),
    dict(type='RandomScale', ratio_range=(0.5, 1.5)),
    # Reference: pad to the crop size (0 / 255) when smaller, then crop.
    # mmseg crops min(crop, image) and the data preprocessor pads the result
    # on the right/bottom with 0 / 255 to crop_size: identical samples.
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='CheckedLoadAnnotations', num_classes=num_classes),
    dict(type='PadImageForTest', size=(505, 505)),  # no resize
    # img_padding_size lets the segmentor crop the padding off the logits
    dict(
        type='PackSegInputs',
        meta_keys=('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                   'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                   'reduce_zero_label', 'img_padding_size')),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    # reference: random order every epoch, last partial batch kept
    # (1,323 iterations per epoch)
    sampler=dict(type='DefaultSampler', shuffle=True),
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
