"""Which floating-point type a model runs in: ``auto``, ``fp32``, ``bf16`` or ``fp16``."""

from __future__ import annotations

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def resolve_precision(precision: str, device: str) -> str:
    """The precision to run on ``device``: ``fp32``, ``bf16`` or ``fp16``.

    ``auto`` is bf16 on GPUs with native bf16 (compute capability 8.0 or more: A100, H100...), fp16 on older
    GPUs (T4, V100, where bf16 is emulated), and fp32 on the CPU, where half precision changes scores and is
    slower on CPUs without AVX512-BF16 or AMX units. An explicit ``bf16`` runs on any CPU (faster than fp32
    only on those that have such units); ``fp16`` on the CPU is refused, since CPU kernels for it are slow.

    Raises:
        ValueError: an unknown precision, or ``fp16`` on the CPU.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    on_cuda = device.startswith("cuda")
    if precision == "auto":
        if not on_cuda:
            return "fp32"
        import torch

        major, _ = torch.cuda.get_device_capability(device)
        return "bf16" if major >= 8 else "fp16"
    if precision == "fp16" and not on_cuda:
        raise ValueError(f"precision='fp16' needs a CUDA device, got device={device!r}; use 'bf16' or 'fp32' on CPU")
    return precision


def torch_dtype(precision: str):
    """The torch dtype of a resolved precision."""
    import torch

    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
