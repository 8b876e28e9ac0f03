# Table row 1: PASCAL VOC 2012 trainaug, 321x321 crops, mixed precision.
# Reference: 70.72 mIoU (3-run average), 70.83 best.
_base_ = './fcn_r101_voc_321_fp32.py'
# fp16 autocast + dynamic GradScaler on GPU (on a CPU: bf16 where it has
# bf16 instructions, else float32)
optim_wrapper = dict(type='MixedPrecisionOptimWrapper', loss_scale='dynamic')
allow_tf32 = None  # the fp32 row's IEEE float32 is not this row's: torch's default
