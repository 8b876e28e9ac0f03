"""mmseg's ``SegDataPreProcessor`` that copies batches to the GPU without
waiting for each copy.

mmengine's data preprocessors take ``non_blocking``: with the loader's
batches in pinned memory (the configs' ``pin_memory=True``), the copy to the
GPU is queued and the host goes on to the next step while it runs. mmseg's
``SegDataPreProcessor`` does not pass the option on, so each of its copies
waits. This is the same preprocessor (normalization, padding, the same
outputs) with ``non_blocking=True`` by default.
"""
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS


@MODELS.register_module()
class NonBlockingSegDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` with mmengine's ``non_blocking`` copies.

    Args:
        non_blocking (bool): Queue host-to-device copies (pinned batches
            only; others copy as before). Default True.
        **kwargs: As :class:`mmseg.models.SegDataPreProcessor`.
    """

    def __init__(self, non_blocking=True, **kwargs):
        super().__init__(**kwargs)
        self._non_blocking = non_blocking
