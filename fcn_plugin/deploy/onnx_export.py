"""The segmentor as an ONNX graph: normalized image in, logits out.

Graph: backbone + ``SimpleFCNHead`` + the bilinear upsample of the 1/8
logits to the input size (``align_corners=True``, as the reference's test),
so ``argmax(1)`` of the output is the prediction. Batch, height and width are
dynamic. Not in the graph (as in mmdeploy's segmentation exports): reading
the image, the test pipeline's resize/padding (VOC's 505 padding, Cityscapes'
512x1024), BGR->RGB and mean/std normalization (mean 123.675/116.28/103.53,
std 58.395/57.12/57.375 on 0..255 RGB), test-time augmentation.
"""
import inspect
import os

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import revert_sync_batchnorm

from ..errors import UserInputError

MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)
UNSUPPORTED = ('image reading, the test pipeline (resize/padding), BGR->RGB '
               'and mean/std normalization, --tta and sliding-window '
               'inference are not in the graph: do them before, as the '
               "config's test pipeline and data preprocessor do")


class LogitsAtInputSize(torch.nn.Module):
    """``segmentor._forward`` + bilinear upsample to the input size.

    Input ``(N, 3, H, W)`` normalized RGB; output ``(N, classes, H, W)``.
    """

    def __init__(self, segmentor):
        super().__init__()
        self.segmentor = revert_sync_batchnorm(segmentor)
        self.eval()  # torch.onnx.export restores the wrapper's own mode

    def forward(self, x):
        logits = self.segmentor._forward(x)
        return F.interpolate(logits, size=x.shape[-2:], mode='bilinear',
                             align_corners=self.segmentor.align_corners)


def export(segmentor, path, sample, opset=17):
    """Write ``path`` (ONNX) for ``segmentor``; ``sample``: an input tensor."""
    module = LogitsAtInputSize(segmentor)
    # the TorchScript exporter: the default before torch 2.9, which has no
    # ``dynamo`` argument before 2.5
    legacy = {'dynamo': False} if 'dynamo' in inspect.signature(
        torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(
            module, (sample, ), path, input_names=['input'],
            output_names=['logits'], opset_version=opset, **legacy,
            dynamic_axes={'input': {0: 'batch', 2: 'height', 3: 'width'},
                          'logits': {0: 'batch', 2: 'height', 3: 'width'}})
    return module


def ort_session(path, threads=None):
    """An ONNX Runtime CPU session of ``path``; a file that is not an ONNX
    model is a :class:`UserInputError` naming it."""
    import onnxruntime as ort
    if not os.path.isfile(path):
        raise UserInputError(f'ONNX model not found: {path}')
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(path, options,
                                    providers=['CPUExecutionProvider'])
    except Exception as exc:  # noqa: BLE001 - ORT's own error types
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserInputError(
            f'cannot load ONNX model {path}: {first[:200]}. Is it an ONNX '
            'file (tools/deployment/export_onnx.py writes one)?') from None


def compare(session, module, inputs):
    """``(max relative logit difference, argmax agreement)`` over inputs;
    the difference is ``inf`` once either side has a NaN or Inf logit."""
    worst, same, total = 0.0, 0, 0
    for x in inputs:
        got = session.run(None, {'input': x.numpy()})[0]
        with torch.no_grad():
            want = module(x).numpy()
        if not (np.isfinite(got).all() and np.isfinite(want).all()):
            worst = float('inf')  # max() would drop a NaN
        else:
            worst = max(worst, float(np.abs(got - want).max() /
                                     max(np.abs(want).max(), 1e-12)))
        same += int((got.argmax(1) == want.argmax(1)).sum())
        total += want.shape[0] * want.shape[2] * want.shape[3]
    return worst, same / total


def image_files(cfg, images=None):
    """``images`` (a file or folder), or else the config's val images, or
    ``[]`` when they are not there."""
    from ..tooling.inference import list_images
    if images:
        return list_images(images)
    from mmseg.registry import DATASETS
    try:
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    except UserInputError:
        return []
    return [dataset.get_data_info(i)['img_path']
            for i in range(len(dataset))]


def pipeline_inputs(cfg, images, limit):
    """Normalized inputs of ``images`` through the config's test pipeline
    and data preprocessor (no label steps run without labels)."""
    from mmcv.transforms import Compose
    from mmseg.registry import MODELS
    pipeline = Compose(cfg.test_pipeline)
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    out = []
    for path in images[:limit]:
        data = pipeline(dict(img_path=path))
        batch = preprocessor(dict(inputs=[data['inputs']],
                                  data_samples=[data['data_samples']]))
        out.append(batch['inputs'])
    return out
