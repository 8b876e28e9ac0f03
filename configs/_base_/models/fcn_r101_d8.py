# The reference FCN: torchvision-layout dilated ResNet-101 (output stride 8)
# + torchvision's FCNHead, no auxiliary head.
# Row configs set decode_head.num_classes and data_preprocessor.size.
norm_cfg = dict(type='SyncBN', requires_grad=True)  # = BN on one GPU (mmengine
# reverts SyncBN when not distributed); batch statistics span GPUs under DDP.
data_preprocessor = dict(
    # mmseg's SegDataPreProcessor; pinned batches go to the GPU non-blocking
    type='NonBlockingSegDataPreProcessor',
    # ImageNet mean/std of [0, 1] RGB pixels, scaled to 0..255 (mmcv reads BGR)
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    # mmseg's EncoderDecoder, but a checkpoint that does not fit is refused
    # (test, inference, load_from); fine-tune from another head on purpose
    # with model.strict_load=False
    type='CheckedEncoderDecoder',
    strict_load=True,
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',  # mmseg's ResNet: torchvision's parameter names
        depth=101,
        in_channels=3,
        stem_channels=64,
        base_channels=64,
        deep_stem=False,  # plain 7x7 stem (not mmseg's default V1c)
        style='pytorch',  # stride on the 3x3 conv (torchvision v1.5)
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        # first block of a dilated stage keeps the previous dilation, as
        # torchvision's replace_stride_with_dilation=[False, True, True]
        contract_dilation=True,
        out_indices=(3, ),  # only layer4 (2048 channels)
        norm_cfg=norm_cfg,
        norm_eval=False,
        # torchvision resnet101-5d3b4d8f.pth or an mmpretrain ResNet-101;
        # train from scratch on purpose with model.backbone.init_cfg=None
        init_cfg=dict(
            type='ImageNetPretrained',
            checkpoint='checkpoints/resnet101-5d3b4d8f.pth')),
    decode_head=dict(
        type='SimpleFCNHead',
        in_channels=2048,
        in_index=0,
        channels=512,
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            # reference: mean over non-ignored pixels (mmseg default: all)
            avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
