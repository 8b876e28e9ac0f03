"""The reference's own figures, as the tools compare against them.

Its results table (per row: 3-run average and best mIoU, train time on one
2080 Ti) lives in ``configs/metafile.yaml``, mmseg's model-index format
(one source: ``mim search`` shows the same file); its profiling table
(ResNet-101, 19 classes, batch 1, 2080 Ti) is :data:`REFERENCE_PROFILE`,
from ``seed_fcn_spec.md``.
"""
import os.path as osp

from ..mim_configs import ROWS

# (H, W) -> (FPS, FLOPs in G, params in M), the reference's profiling table
REFERENCE_PROFILE = {
    (256, 512): (43.32, 216.42, 51.95),
    (512, 1024): (12.06, 865.69, 51.95),
    (1024, 2048): (3.06, 3462.77, 51.95),
}
METAFILE = osp.join(ROWS, 'metafile.yaml')


def table_rows():
    """The metafile's models: ``{config file name: model entry}``, in the
    table's order."""
    import yaml
    with open(METAFILE, encoding='utf-8') as f:
        models = yaml.safe_load(f)['Models']
    return {osp.basename(m['Config']): m for m in models}


def reference_results(config):
    """The reference's ``{'miou_avg', 'miou_best', 'train_hours'}`` for the
    row whose config file is named as ``config``; ``None`` for a config
    that is no row of the table (a user's own)."""
    model = table_rows().get(osp.basename(config))
    if model is None:
        return None
    metrics = model['Results']['Metrics']
    return {'miou_avg': float(metrics['mIoU']),
            'miou_best': float(metrics['mIoU best of 3']),
            'train_hours': float(model['Metadata']['Training Time (h)'])}
