"""``claims convert``: turn a trusted folder's ``pytorch_model.bin`` into ``model.safetensors``.

The package loads safetensors only. A user who trusts a pickled checkpoint converts it once; the pickle
is read with ``torch.load(weights_only=True)``, which refuses anything but tensors and plain containers.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from safetensors.torch import save_file


def convert_to_safetensors(model_dir: str | Path) -> Path:
    """Write ``model.safetensors`` next to ``pytorch_model.bin`` in ``model_dir``; returns its path.

    Raises:
        FileNotFoundError: the folder has no ``pytorch_model.bin``.
        FileExistsError: ``model.safetensors`` is already there.
        ValueError: the pickle holds something other than a state dict of tensors.
    """
    folder = Path(model_dir)
    source, target = folder / "pytorch_model.bin", folder / "model.safetensors"
    if not source.is_file():
        raise FileNotFoundError(f"{source} not found: nothing to convert")
    if target.exists():
        raise FileExistsError(f"{target} already exists; remove it first to convert again")
    try:
        state = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as err:  # weights_only refuses arbitrary objects with an UnpicklingError
        raise ValueError(f"{source} is not a plain tensor state dict ({err.__class__.__name__}: {err})") from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{source} does not hold a state dict of tensors")
    # safetensors refuses tensors that share memory (tied embeddings): store an independent copy of each.
    tensors = {name: tensor.detach().contiguous().clone() for name, tensor in state.items()}
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    save_file(tensors, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, target)
    return target
