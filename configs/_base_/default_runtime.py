custom_imports = dict(imports=['fcn_plugin'], allow_failed_imports=False)
default_scope = 'mmseg'
# mmengine's Runner; the environment and config dump go to the log file only
runner_type = 'ConciseConsoleRunner'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# For a bit-exact --resume, fix the seed: --cfg-options randomness.seed=0
randomness = dict(seed=None)
tta_model = dict(type='SegTTAModel')
custom_hooks = [dict(type='RandomStateHook')]
