"""``claims export``: write ``model.onnx`` (and ``model.int8.onnx``) beside a model's safetensors weights.

The float32 graph comes from the TorchScript exporter (``dynamo=False``: optimum does not support
transformers 5) with dynamic batch and sequence axes, and is checked against torch before it is kept.
The int8 graph is ONNX Runtime's dynamic quantization (int8 weights, activations quantized per batch).
Every file is written under a temporary name in the same folder and moved in with ``os.replace``, so an
export that fails or is killed never leaves a partial file under the final name.
"""

from __future__ import annotations

import argparse
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from inference.checkpoint import inspect_checkpoint

logger = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
TOLERANCE = 1e-4  # max |logit difference| accepted between the float32 ONNX graph and torch
CHECK_SENTENCES = (
    "Le ministre a démenti toute implication dans l'affaire.",
    "Court.",
    "L'opposition reproche au gouvernement d'avoir caché le rapport pendant des mois, selon un communiqué publié "
    "mardi par plusieurs associations de riverains inquiètes.",
    "« Il n'y a aucun danger pour la population », assure la préfète.",
)


class ExportError(ValueError):
    """No verified ONNX graph could be written (a ``ValueError`` so the CLI reports it without a traceback)."""


def export_onnx(model_dir: str | os.PathLike, opset: int = 17, quantize: str | None = None) -> list[Path]:
    """Export a vetted model folder to ONNX, verify it against torch, and optionally quantize it.

    Args:
        model_dir: folder holding ``model.safetensors``, ``config.json`` and the tokenizer.
        opset: ONNX opset version for the exporter.
        quantize: ``"int8"`` to also write ``model.int8.onnx``; ``None`` for float32 only.

    Returns:
        The files written, ``model.onnx`` first.

    Raises:
        ModelLoadError: the folder is not a loadable model or holds no ``model.safetensors``.
        ExportError: onnx/onnxruntime are missing, the ONNX logits differ from torch by more than 1e-4, or the
            int8 graph gives non-finite logits.
        ValueError: ``quantize`` is not ``None`` or ``"int8"``.
    """
    import torch
    from transformers import AutoModelForSequenceClassification

    from inference.checkpoint import ModelLoadError
    from inference.engines import load_tokenizer

    if quantize not in (None, "int8"):
        raise ValueError(f"quantize must be None or 'int8', got {quantize!r}")
    try:
        import onnx  # noqa: F401  (the quantizer needs it)
        import onnxruntime  # noqa: F401  (the export is verified with it)
    except ImportError as error:
        raise ExportError(
            f"claims export needs onnx and onnxruntime, and {error.name} is not installed; "
            "install them with: pip install .[onnx]"
        ) from error
    info = inspect_checkpoint(Path(model_dir).resolve(), accept_any_labels=True)
    if not info.has_torch_weights:
        raise ModelLoadError(f"{info.path / 'model.safetensors'} is missing: export needs the torch weights")
    model = AutoModelForSequenceClassification.from_pretrained(
        str(info.path), dtype=torch.float32, use_safetensors=True, trust_remote_code=False
    ).eval()
    tokenizer = load_tokenizer(info)
    # Check batches: all sentences padded together, and one unpadded sentence of another length, so the
    # dynamic batch/sequence axes and the padding mask are both exercised.
    batches = [
        _encode(tokenizer, list(CHECK_SENTENCES), info.max_length),
        _encode(tokenizer, [CHECK_SENTENCES[2]], info.max_length),
    ]
    with torch.inference_mode():
        expected = [
            model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()
            for ids, mask in batches
        ]
    input_ids, attention = batches[0]

    fp32 = info.path / ONNX_FILE
    with _temporary(fp32) as tmp:
        # Trace on two padded rows of unequal length so the general masked-attention path is recorded.
        with warnings.catch_warnings():  # the legacy exporter's deprecation and tracer notices are expected
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (torch.from_numpy(input_ids[:2]), torch.from_numpy(attention[:2])),
                str(tmp),
                dynamo=False,
                opset_version=opset,
                input_names=["input_ids", "attention_mask"],
                output_names=["logits"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "sequence"},
                    "attention_mask": {0: "batch", 1: "sequence"},
                    "logits": {0: "batch"},
                },
            )
        diff = max(float(np.abs(got - want).max()) for got, want in zip(_run_onnx(tmp, batches), expected))
        if not diff <= TOLERANCE:
            raise ExportError(
                f"{fp32}: ONNX logits differ from torch by {diff:.2e} on {len(CHECK_SENTENCES)} check sentences, "
                f"expected at most {TOLERANCE:.0e}; the file was not written"
            )
        _commit(tmp, fp32)
    logger.info("wrote %s (max |logit diff| vs torch %.1e)", fp32, diff)
    written = [fp32]
    int8 = info.path / INT8_FILE
    if quantize == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        with _temporary(int8) as tmp:
            with _quiet_root_logger():  # the quantizer logs one INFO line per tensor on the root logger
                quantize_dynamic(fp32, tmp, weight_type=QuantType.QInt8)
            logits = _run_onnx(tmp, batches[:1])[0]
            if logits.shape != expected[0].shape or not np.isfinite(logits).all():
                raise ExportError(
                    f"{int8}: the int8 graph gave logits of shape {logits.shape} or non-finite values, expected "
                    f"finite logits of shape {expected[0].shape}; the file was not written"
                )
            _commit(tmp, int8)
        written.append(int8)
    elif int8.exists():
        logger.warning("%s was made from an earlier model.onnx; rerun with --quantize int8 to refresh it", int8)
    return written


def run_export(args: argparse.Namespace) -> int:
    """CLI entry point: export, then print each file written with its size."""
    files = export_onnx(args.model, opset=args.opset, quantize=args.quantize)
    weights = Path(args.model) / "model.safetensors"
    print(f"source: {weights} ({_megabytes(weights)})")
    for file in files:
        print(f"wrote {file} ({_megabytes(file)})")
    return 0


def _encode(tokenizer, texts: list[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
    enc = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="np")
    return enc["input_ids"].astype(np.int64), enc["attention_mask"].astype(np.int64)


def _run_onnx(file: Path, batches: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])
    return [
        np.asarray(session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0], dtype=np.float32)
        for ids, mask in batches
    ]


@contextmanager
def _temporary(final: Path) -> Iterator[Path]:
    """A temporary path beside ``final`` (not matching ``*.onnx``), removed on exit unless committed."""
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _commit(tmp: Path, final: Path) -> None:
    """Flush ``tmp`` to disk, then atomically rename it to ``final``."""
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, final)


def _megabytes(file: Path) -> str:
    return f"{file.stat().st_size / 2**20:.1f} MB" if file.is_file() else "missing"
