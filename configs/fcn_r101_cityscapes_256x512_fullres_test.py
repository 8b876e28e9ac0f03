# Row 3 trained identically, but scored mmseg's way: predictions upsampled to
# the full 1024x2048 label (the reference scores at 512x1024 instead).
_base_ = './fcn_r101_cityscapes_256x512.py'
val_dataloader = dict(
    dataset=dict(pipeline={{_base_.test_pipeline_full_resolution}}))
test_dataloader = val_dataloader
tta_pipeline = {{_base_.tta_pipeline_full_resolution}}
