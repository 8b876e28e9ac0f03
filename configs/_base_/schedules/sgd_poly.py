# Reference optimisation: SGD (momentum 0.9, wd 5e-4 on ALL parameters, BN and
# bias included) with poly decay lr = base * (1 - it / total) ** 0.9 for
# it = 0 .. total - 1, stepped every iteration, no warm-up. Rows set lr and
# train_cfg.max_iters; `end` defaults to max_iters, so shortening a run keeps
# the formula. ReferencePolyLR, not mmengine's PolyLR, which decays over
# total - 1 steps and trains its last iteration at lr 0.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)
param_scheduler = [
    dict(type='ReferencePolyLR', power=0.9, eta_min=0.0, begin=0, by_epoch=False)
]
# Validation every 1,000 iterations; the best-mIoU checkpoint is kept, as the
# reference releases the best checkpoint seen during training.
# mmengine's IterBasedTrainLoop, but --resume moves the data position without
# loading the batches already trained (needs the datasets' ResumableSampler)
train_cfg = dict(
    type='ResumableIterBasedTrainLoop', max_iters=40000, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    # mmengine's, with the training values read from the device at the
    # logging interval instead of every iteration (no per-step host wait)
    runtime_info=dict(type='DeferredRuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook with atomic writes (temp file + rename) and
    # old/previous-best files removed only after their successor is saved
    checkpoint=dict(
        type='AtomicCheckpointHook',
        by_epoch=False,
        interval=1000,
        max_keep_ckpts=2,
        save_best='mIoU',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
