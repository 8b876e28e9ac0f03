"""Deployment: ONNX export of the segmentor's logits and int8 quantization."""
