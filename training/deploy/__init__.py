"""Deployment: ONNX export with int8 quantisation, and corpus-scale batch prediction over several processes."""
