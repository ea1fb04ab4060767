"""Checkpoint bookkeeping: find the last complete checkpoint and publish the final model atomically."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from inference.checkpoint import ModelLoadError, check_safetensors

_CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")
# Derived from a model's weights (or fitted with them): stale, and removed, once new weights are published.
DERIVED_FILES = ("calibration.json", "lexical.json", "lexical.safetensors", "model.onnx", "model.int8.onnx")
_REQUIRED = ("model.safetensors", "config.json", "optimizer.pt", "scheduler.pt")


def is_complete_checkpoint(path: Path, num_processes: int = 1) -> bool:
    """True when every file of a Trainer checkpoint is present and ``trainer_state.json`` (written last) parses.

    A run of ``num_processes`` > 1 also needs each rank's RNG state (``rng_state_{rank}.pth``); one
    process writes ``rng_state.pth``.
    """
    rng = ["rng_state.pth"] if num_processes == 1 else [f"rng_state_{r}.pth" for r in range(num_processes)]
    try:
        json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
        if not all((path / name).is_file() and (path / name).stat().st_size > 0 for name in (*_REQUIRED, *rng)):
            return False
        check_safetensors(path / "model.safetensors")
    except (OSError, ValueError, ModelLoadError):
        return False
    return True


def last_complete_checkpoint(folder: Path, remove_incomplete: bool = True, num_processes: int = 1) -> Path | None:
    """The newest complete ``checkpoint-N`` in ``folder``; incomplete ones (a run killed mid-save) are removed.

    In a run of several processes only the main process may pass ``remove_incomplete=True``.
    """
    if not folder.is_dir():
        return None
    found = sorted(
        (int(m.group(1)), p) for p in folder.iterdir() if p.is_dir() and (m := _CHECKPOINT_RE.match(p.name))
    )
    for _, path in reversed(found):
        if is_complete_checkpoint(path, num_processes):
            return path
        if remove_incomplete:
            shutil.rmtree(path, ignore_errors=True)
    return None


def check_output_dir(output_dir: Path, overwrite: bool = False, resume: bool = False) -> None:
    """Refuse to train into a folder that already holds something, unless ``--overwrite`` or ``--resume`` says so.

    Raises:
        FileExistsError: the folder is not empty (a leftover ``.staging`` of a killed run does not count).
    """
    if overwrite or resume or not output_dir.exists():
        return
    if not output_dir.is_dir():
        raise FileExistsError(f"output {output_dir} exists and is not a folder; choose another --output-dir")
    entries = sorted(p.name for p in output_dir.iterdir() if p.name != ".staging")
    if entries:
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise FileExistsError(
            f"output folder {output_dir} is not empty ({shown}); pass --overwrite to replace the model in it, "
            "--resume to continue its run from the last checkpoint, or choose another --output-dir"
        )


def publish_model(staging: Path, output_dir: Path) -> None:
    """Move a fully written model from ``staging`` into ``output_dir``.

    ``model.safetensors`` is what makes a directory a model: the old one is removed first and the
    new one moved in last (``os.replace`` is atomic on one filesystem), so a run killed at any point
    leaves either the complete new model or no weights at all, never a mix. Files derived from the
    old weights (calibration, ONNX exports) are removed with them.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    weights = output_dir / "model.safetensors"
    if weights.exists():
        weights.unlink()
    for name in DERIVED_FILES:
        if not (staging / name).exists():
            (output_dir / name).unlink(missing_ok=True)
    for item in sorted(staging.iterdir(), key=lambda p: p.name == "model.safetensors"):
        target = output_dir / item.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(item, target)
    _fsync_dir(output_dir)
    staging.rmdir()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
