"""Backends that turn padded token ids into logits: PyTorch (reference) and ONNX Runtime."""

from __future__ import annotations

import numpy as np

from .checkpoint import CheckpointInfo, ModelLoadError


def load_engine(info: CheckpointInfo, backend: str = "auto", device: str | None = None, onnx_file: str | None = None):
    """Build the engine for a vetted checkpoint; ``auto`` prefers torch weights, else ONNX."""
    if backend not in {"auto", "torch", "onnx"}:
        raise ValueError(f"backend must be 'auto', 'torch' or 'onnx', got {backend!r}")
    if backend == "auto":
        backend = "onnx" if onnx_file or not info.has_torch_weights else "torch"
    if backend == "torch" and onnx_file:
        raise ValueError(f"onnx_file={onnx_file!r} needs the onnx backend, not torch")
    if backend == "torch":
        if not info.has_torch_weights:
            raise ModelLoadError(f"{info.path / 'model.safetensors'} is missing: the torch backend needs it")
        return TorchEngine(info, device)
    from .onnx_engine import OnnxEngine

    return OnnxEngine(info, device, onnx_file)


def load_tokenizer(info: CheckpointInfo):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(info.path), trust_remote_code=False)
    except Exception as error:  # transformers raises many types for a bad tokenizer folder
        raise ModelLoadError(f"{info.path}: the tokenizer files could not be loaded ({error})") from error
    if not getattr(tokenizer, "is_fast", False):
        raise ModelLoadError(f"{info.path}: a fast (tokenizers-backed) tokenizer is required")
    return tokenizer


class TorchEngine:
    """Runs a ``*ForSequenceClassification`` model from safetensors weights under ``inference_mode``."""

    name = "torch"

    def __init__(self, info: CheckpointInfo, device: str | None = None) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification

        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = load_tokenizer(info)
        try:
            model = AutoModelForSequenceClassification.from_pretrained(
                str(info.path), dtype=torch.float32, use_safetensors=True, trust_remote_code=False
            )
        except Exception as error:
            raise ModelLoadError(f"{info.path / 'model.safetensors'} could not be loaded ({error})") from error
        self.model = model.to(self.device).eval()

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            out = self.model(
                input_ids=torch.from_numpy(input_ids).to(self.device),
                attention_mask=torch.from_numpy(attention_mask).to(self.device),
            )
        return out.logits.float().cpu().numpy()
