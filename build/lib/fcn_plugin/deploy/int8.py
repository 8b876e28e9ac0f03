"""Static int8 quantization of the exported ONNX model for CPUs.

ONNX Runtime's QDQ static quantization: weights int8 per output channel,
activations uint8 with ranges calibrated on images from the val pipeline
(MinMax). Measured on the 2-core AVX2 development machine the int8 model
runs several times faster than fp32 (``benchmarks/int8_cpu.py``); the
accuracy cost is measured as pixel agreement with the fp32 predictions.
"""
import os
import tempfile


class _Inputs:
    """``CalibrationDataReader`` over a list of input tensors."""

    def __init__(self, inputs):
        self._inputs = iter(inputs)

    def get_next(self):
        x = next(self._inputs, None)
        return None if x is None else {'input': x.numpy()}

    def rewind(self):  # not needed by MinMax calibration
        pass


def quantize(fp32_path, int8_path, calibration_inputs):
    """Write ``int8_path`` from ``fp32_path`` calibrated on the inputs."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    reader = type('Reader', (_Inputs, CalibrationDataReader), {})(
        calibration_inputs)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = os.path.join(tmp, 'prepared.onnx')
        quant_pre_process(fp32_path, prepared)
        quantize_static(prepared, int8_path, reader,
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8)


def agreement(session_a, session_b, inputs):
    """Share of pixels where both sessions predict the same class."""
    same = total = 0
    for x in inputs:
        a = session_a.run(None, {'input': x.numpy()})[0].argmax(1)
        b = session_b.run(None, {'input': x.numpy()})[0].argmax(1)
        same += int((a == b).sum())
        total += a.size
    return same / total
