"""ONNX Runtime backend: the same ``logits()`` contract as ``TorchEngine``, from a ``*.onnx`` file.

The file is written by ``claims export`` (``training/deploy/export.py``) beside the safetensors weights:
``model.onnx`` (float32, matches torch within 1e-4) and optionally ``model.int8.onnx`` (dynamic int8
quantization: smaller and faster on CPU, at a small cost in agreement). Only ``onnxruntime`` and the
tokenizer are needed at run time, so a folder holding no ``model.safetensors`` still works.
"""

from __future__ import annotations

import warnings

import numpy as np

from .checkpoint import CheckpointInfo, ModelLoadError
from .engines import load_tokenizer

DEFAULT_ONNX_FILE = "model.onnx"
INPUT_NAMES = ("input_ids", "attention_mask")


class OnnxEngine:
    """Runs an exported ``*ForSequenceClassification`` graph with ONNX Runtime.

    Args:
        info: the vetted checkpoint folder (labels, tokenizer, max length).
        device: ``None`` or ``"cpu"`` for the CPU provider; ``"cuda"``/``"cuda:N"`` puts the CUDA provider
            first when the installed onnxruntime has it (else CPU, with a warning).
        onnx_file: file name inside the folder (or a path); default ``model.onnx``.
        threads: intra-op threads for the CPU provider; default onnxruntime's (one per physical core).

    Raises:
        ModelLoadError: onnxruntime is not installed, or the file is missing, corrupt or has other inputs.
    """

    name = "onnx"

    def __init__(
        self,
        info: CheckpointInfo,
        device: str | None = None,
        onnx_file: str | None = None,
        *,
        threads: int | None = None,
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError as error:
            raise ModelLoadError(
                f"the ONNX backend needs onnxruntime, which is not installed ({error}); install it with: "
                "pip install .[onnx]"
            ) from error
        self.file = info.path / (onnx_file or DEFAULT_ONNX_FILE)
        if not self.file.is_file():
            quantize = " --quantize int8" if "int8" in self.file.name else ""
            found = ", ".join(info.onnx_files) or "none"
            raise ModelLoadError(
                f"{self.file} is missing (ONNX files in the folder: {found}); create it with: "
                f"claims export --model {info.path}{quantize}"
            )
        providers = ["CPUExecutionProvider"]
        self.device = "cpu"
        if device and device.startswith("cuda"):
            if "CUDAExecutionProvider" in ort.get_available_providers():
                device_id = int(device.split(":", 1)[1]) if ":" in device else 0
                providers.insert(0, ("CUDAExecutionProvider", {"device_id": device_id}))
                self.device = f"cuda:{device_id}"
            else:
                warnings.warn(
                    f"device {device!r} requested but this onnxruntime has no CUDAExecutionProvider "
                    f"(available: {ort.get_available_providers()}); running on CPU",
                    RuntimeWarning,
                    stacklevel=3,
                )
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(self.file), sess_options=options, providers=providers)
        except Exception as error:  # onnxruntime raises its own pybind types (InvalidProtobuf, Fail, ...)
            raise ModelLoadError(
                f"{self.file} is corrupt or not an ONNX model ({error}); re-create it with: "
                f"claims export --model {info.path}"
            ) from error
        inputs = [i.name for i in self.session.get_inputs()]
        if sorted(inputs) != sorted(INPUT_NAMES):
            raise ModelLoadError(f"{self.file} takes inputs {inputs}, expected {list(INPUT_NAMES)}")
        outputs = [o.name for o in self.session.get_outputs()]
        self._output = "logits" if "logits" in outputs else outputs[0]
        self.tokenizer = load_tokenizer(info)

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {
            "input_ids": np.ascontiguousarray(input_ids, dtype=np.int64),
            "attention_mask": np.ascontiguousarray(attention_mask, dtype=np.int64),
        }
        (out,) = self.session.run([self._output], feed)
        return np.asarray(out, dtype=np.float32)

    def forward(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        return self.logits(input_ids, attention_mask)  # ONNX Runtime's run() is synchronous

    def to_numpy(self, outputs: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(outputs)
