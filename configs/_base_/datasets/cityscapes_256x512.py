# Cityscapes fine (2,975 train / 500 val) at half resolution, the reference
# pipelines; raw *_gtFine_labelIds.png mapped to train ids on the fly.
_base_ = ['./image_loading.py']
load_image = {{_base_.load_image}}
dataset_type = 'CityscapesLabelIdDataset'
data_root = 'data/cityscapes'
crop_size = (256, 512)
half_resolution = (1024, 512)  # (w, h) for mmcv's Resize
# 1024x2048 -> 512x1024: image bilinear, label nearest (the identity on the
# half-resolution copy of tools/prepare_cityscapes.py)
halve = dict(type='Resize', scale=half_resolution, keep_ratio=False)
train_pipeline = [
    load_image,
    dict(type='CheckedLoadAnnotations'),
    halve,
    # RandomScale + mmseg's RandomCrop in one step, as in the VOC base (the
    # preprocessor pads to crop_size)
    dict(type='RandomScaleCrop', ratio_range=(0.5, 1.5), crop_size=crop_size),
    # label ids -> train ids: per pixel, so the same after the nearest
    # resize and crop as before them (the reference maps first), on a
    # quarter of the pixels
    dict(type='CityscapesLabelIdMap'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# Reference protocol: image AND label resized to 512x1024 (label nearest),
# scored at 512x1024. configs/fcn_r101_cityscapes_256x512_fullres_test.py
# scores at full 1024x2048 instead (mmseg's usual protocol). The label steps
# do nothing without a label, so mmseg's inference_model and MMSegInferencer
# use these pipelines as they are (predictions at the input image's size).
label_steps = [
    dict(type='CheckedLoadAnnotations'),
    dict(type='CityscapesLabelIdMap'),
]
evaluate_at_half_resolution = dict(
    type='EvaluateAtScale', scale=half_resolution)
test_pipeline = [
    load_image,
    halve,
    *label_steps,
    evaluate_at_half_resolution,
    dict(type='PackSegInputs'),
]
# mmseg's protocol: label kept at 1024x2048, logits upsampled to it.
test_pipeline_full_resolution = [
    load_image,
    halve,
    *label_steps,
    dict(type='PackSegInputs'),
]
# tools/test.py --tta (not in the reference): mmseg's usual scales of the
# 512x1024 test image, and flip. The label is loaded after resize and flip,
# so every view is scored against the same label as the plain test.
tta_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_views = [
    [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in tta_ratios],
    [dict(type='RandomFlip', prob=0., direction='horizontal'),
     dict(type='RandomFlip', prob=1., direction='horizontal')],
    *[[step] for step in label_steps],
]
tta_pipeline = [
    load_image,
    halve,
    dict(
        type='TestTimeAug',
        transforms=[
            *tta_views, [evaluate_at_half_resolution],
            [dict(type='PackSegInputs')]
        ])
]
tta_pipeline_full_resolution = [
    load_image,
    halve,
    dict(
        type='TestTimeAug',
        transforms=[*tta_views, [dict(type='PackSegInputs')]])
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
    # (372 iterations per epoch)
    sampler=dict(type='ResumableSampler', shuffle=True),
    worker_init_fn=dict(type='worker_ignores_terminal_signals'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
