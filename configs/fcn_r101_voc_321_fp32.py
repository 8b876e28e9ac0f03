# Table row 2: PASCAL VOC 2012 trainaug, 321x321 crops, fp32.
# Reference: 70.91 mIoU (3-run average), 71.55 best.
_base_ = [
    '_base_/models/fcn_r101_d8.py', '_base_/datasets/voc12_trainaug.py',
    '_base_/default_runtime.py', '_base_/schedules/sgd_poly.py'
]
crop_size = (321, 321)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=21))
optim_wrapper = dict(optimizer=dict(lr=0.002))  # batch 8 on 1 GPU
# IEEE float32 as the reference's 2080 Ti (no TF32 there; PyTorch's default
# on newer GPUs runs float32 convolutions in TF32): allow_tf32=True for speed
allow_tf32 = False
# 30 epochs x 1,323 iterations (10,582 images / batch 8, last batch kept)
train_cfg = dict(max_iters=39690)
