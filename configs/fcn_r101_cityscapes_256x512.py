# Table row 3: Cityscapes, 256x512 crops of the 512x1024 half-resolution
# images, mixed precision. Reference: 68.05 mIoU (3-run average), 68.20 best.
_base_ = [
    '_base_/models/fcn_r101_d8.py', '_base_/datasets/cityscapes_256x512.py',
    '_base_/default_runtime.py', '_base_/schedules/sgd_poly.py'
]
crop_size = (256, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=19))
# batch 8 on 1 GPU; fp16 autocast + dynamic GradScaler (on a CPU: bf16
# where it has bf16 instructions, else float32)
optim_wrapper = dict(
    type='MixedPrecisionOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(lr=0.004))
# 60 epochs x 372 iterations (2,975 images / batch 8, last batch kept)
train_cfg = dict(max_iters=22320)
