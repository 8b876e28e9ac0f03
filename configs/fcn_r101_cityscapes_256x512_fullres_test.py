# Row 3 trained identically, but scored mmseg's way: predictions upsampled to
# the full 1024x2048 label (the reference scores at 512x1024 instead), so
# validation reads the original full-resolution files, never the
# half-resolution copy of tools/prepare_cityscapes.py.
_base_ = './fcn_r101_cityscapes_256x512.py'
val_dataloader = dict(
    dataset=dict(
        pipeline={{_base_.test_pipeline_full_resolution}},
        half_resolution_copy=False))
test_dataloader = val_dataloader
tta_pipeline = {{_base_.tta_pipeline_full_resolution}}
