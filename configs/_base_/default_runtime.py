custom_imports = dict(imports=['fcn_plugin'], allow_failed_imports=False)
default_scope = 'mmseg'
# mmengine's Runner; --resume takes the newest intact checkpoint (see
# resume_required); environment and config dump: log file only
runner_type = 'ResumeSafeRunner'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
# True (--cfg-options tensorboard=True): TensorBoard too, under
# <work_dir>/<timestamp>/vis_data (needs the tensorboard package)
tensorboard = False
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# --resume with no checkpoint in the work dir: False starts from iteration 0
# (and says so), True stops instead
resume_required = False
# For a bit-exact --resume, fix the seed: --cfg-options randomness.seed=0
randomness = dict(seed=None)
tta_model = dict(type='SegTTAModel')
# RNG states in checkpoints (exact resume); SIGTERM/SIGINT/SIGHUP ->
# checkpoint, exit; a NaN/Inf loss stops the run before anything is saved;
# allow_tf32 applied (None: torch's default)
custom_hooks = [dict(type='RandomStateHook'), dict(type='PreemptionHook'),
                dict(type='NonFiniteLossHook'), dict(type='TF32Hook')]
allow_tf32 = None
