# Dataset images load as the reference loads them (PIL's Image.open): an
# EXIF orientation tag is NOT applied, so a tagged JPEG stays aligned with
# its label (mmcv's default color_type='color' rotates the image, never the
# label). tools/infer.py honours the tag for a user's photos and says so.
load_image = dict(
    type='LoadImageFromFile', color_type='color_ignore_orientation')
