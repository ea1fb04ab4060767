"""Find and vet a model directory before anything in it is loaded.

Checks happen up front so that a broken or hostile directory is refused with a message naming
the file at fault: weights are read from safetensors only (no unpickling), remote code is never
run, and the label set must be the one this package predicts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .labels import LABELS

MODEL_ENV_VAR = "CLAIMS_MODEL"
DEFAULT_MODEL_DIR = Path("outputs/claims-mini")  # where the quick start saves the offline model
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILES = ("tokenizer.json", "sentencepiece.bpe.model")
PICKLE_WEIGHTS = ("pytorch_model.bin", "model.pt", "model.pth", "pytorch_model.bin.index.json")


class ModelLoadError(RuntimeError):
    """The model directory is missing, incomplete, corrupt or unsafe; the message names the file."""


@dataclass(frozen=True)
class CheckpointInfo:
    """What inference needs to know about a vetted model directory."""

    path: Path
    id2label: dict[int, str]
    max_length: int
    max_positions: int  # the longest input the position table holds
    temperature: float
    has_torch_weights: bool
    onnx_files: tuple[str, ...]
    # Whether the temperature was fitted on scores fused with the lexical channel; None: not recorded (older files).
    temperature_lexical: bool | None = None


def resolve_model_dir(model: str | os.PathLike | None = None) -> Path:
    """Pick the model: the argument, else ``$CLAIMS_MODEL``, else the quick start's output directory."""
    if model is not None:
        return Path(model).expanduser()
    if os.environ.get(MODEL_ENV_VAR):
        return Path(os.environ[MODEL_ENV_VAR]).expanduser()
    if (DEFAULT_MODEL_DIR / "config.json").is_file():
        return DEFAULT_MODEL_DIR
    raise ModelLoadError(
        "no model given: pass model='path/to/model', set CLAIMS_MODEL=/path/to/model, or train the "
        f"offline model into {DEFAULT_MODEL_DIR} with: claims train --config configs/camembert-mini.yaml"
    )


def inspect_checkpoint(path: Path, accept_any_labels: bool = False) -> CheckpointInfo:
    """Vet ``path`` and return its labels, max length, temperature and available weights.

    Raises:
        ModelLoadError: missing directory or file, corrupt JSON or safetensors, pickle-only weights,
            a config asking for remote code, or labels other than the expected four.
    """
    if not path.is_dir():
        raise ModelLoadError(f"model directory not found: {path}")
    config = _read_json(path / "config.json")
    if config.get("auto_map") or config.get("trust_remote_code"):
        raise ModelLoadError(
            f"{path / 'config.json'} asks for custom remote code (auto_map); refusing to run code from a model folder"
        )
    id2label = _read_labels(path / "config.json", config, accept_any_labels)
    onnx_files = tuple(sorted(p.name for p in path.glob("*.onnx")))
    has_torch = (path / WEIGHTS_FILE).is_file()
    if has_torch:
        check_safetensors(path / WEIGHTS_FILE)
    elif not onnx_files:
        pickled = [name for name in PICKLE_WEIGHTS if (path / name).exists()]
        if pickled:
            raise ModelLoadError(
                f"{path / pickled[0]} is a pickle checkpoint; only safetensors weights are loaded (pickle files can "
                "run code). Convert it where you trust it: model.save_pretrained(dir, safe_serialization=True)"
            )
        raise ModelLoadError(f"{path / WEIGHTS_FILE} is missing: the directory holds no model weights")
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise ModelLoadError(f"{path / TOKENIZER_FILES[0]} is missing: the directory holds no tokenizer")
    if (path / "tokenizer.json").is_file():
        _read_json(path / "tokenizer.json")
    tokenizer_config = _read_json(path / "tokenizer_config.json") if (path / "tokenizer_config.json").is_file() else {}
    max_length = int(tokenizer_config.get("model_max_length") or 512)
    # RoBERTa-style position ids start after the padding index.
    positions = int(config.get("max_position_embeddings", 514)) - int(config.get("pad_token_id") or 0) - 1
    max_length = max(1, min(max_length, positions, 512))
    temperature, temperature_lexical = 1.0, None
    if (path / "calibration.json").is_file():
        calibration = _read_json(path / "calibration.json")
        temperature, temperature_lexical = float(calibration.get("temperature", 1.0)), calibration.get("lexical")
        if not temperature > 0:
            raise ModelLoadError(f"{path / 'calibration.json'}: temperature must be > 0, got {temperature}")
    return CheckpointInfo(
        path, id2label, max_length, max(1, positions), temperature, has_torch, onnx_files, temperature_lexical
    )


# Files of a model folder that change its outputs: weights, ONNX graphs, config, calibration, lexical channel,
# tokenizer.
MODEL_FILE_PATTERNS = ("*.safetensors", "*.onnx", "config.json", "calibration.json", "lexical.json",
                       "tokenizer*.json", "special_tokens_map.json", "*.model")  # fmt: skip


def model_fingerprint(path: Path) -> dict[str, str]:
    """``{file name: "size:mtime_ns"}`` for every file of ``path`` that changes its outputs.

    Keys the model cache and the batch manifest: retraining, recalibrating or re-exporting a folder changes it.
    """
    fingerprint = {}
    for file in sorted({f for pattern in MODEL_FILE_PATTERNS for f in path.glob(pattern) if f.is_file()}):
        stat = file.stat()
        fingerprint[file.name] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return fingerprint


def _read_json(file: Path) -> dict:
    if not file.is_file():
        raise ModelLoadError(f"{file} is missing")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelLoadError(f"{file} is corrupt (not valid JSON: {error})") from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"{file} is corrupt: expected a JSON object")
    return data


def _read_labels(file: Path, config: dict, accept_any_labels: bool) -> dict[int, str]:
    raw = config.get("id2label")
    if not isinstance(raw, dict) or not raw:
        raise ModelLoadError(f"{file} has no id2label mapping; the model's labels are unknown")
    try:
        id2label = {int(k): str(v) for k, v in raw.items()}
    except ValueError:
        raise ModelLoadError(f"{file}: id2label keys must be integers, got {sorted(raw)}") from None
    if sorted(id2label) != list(range(len(id2label))):
        raise ModelLoadError(f"{file}: id2label ids must be 0..{len(id2label) - 1}, got {sorted(id2label)}")
    if not accept_any_labels and sorted(id2label.values()) != sorted(LABELS):
        raise ModelLoadError(
            f"{file}: the model predicts {sorted(id2label.values())}, expected {sorted(LABELS)}; "
            "pass accept_any_labels=True to use it anyway (claims predict: --accept-any-labels)"
        )
    return id2label


def check_safetensors(file: Path) -> None:
    """Validate the safetensors header and that every tensor's bytes are present (catches truncation)."""
    size = file.stat().st_size
    try:
        with file.open("rb") as handle:
            header_len = int.from_bytes(handle.read(8), "little")
            if size < 8 or header_len <= 0 or 8 + header_len > size:
                raise ValueError("header length is out of range")
            header = json.loads(handle.read(header_len))
        ends = [entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"]
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise ModelLoadError(f"{file} is corrupt or not a safetensors file ({error})") from None
    expected = 8 + header_len + max(ends, default=0)
    if size < expected:
        raise ModelLoadError(f"{file} is truncated: {size} bytes on disk, {expected} expected")
