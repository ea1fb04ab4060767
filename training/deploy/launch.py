"""Re-launch ``claims predict --output-dir`` in several processes through ``accelerate launch``."""

from __future__ import annotations

import argparse
import sys

from inference.cli import predict_argv


def accelerate_launch(processes: int) -> list[str]:
    """The ``accelerate launch`` prefix for ``processes`` local processes (one per GPU, else gloo on CPU)."""
    return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]  # fmt: skip


def launch_command(args: argparse.Namespace) -> list[str]:
    """``accelerate launch`` running ``claims predict`` in ``args.processes`` processes (gloo on CPU)."""
    return [*accelerate_launch(args.processes), "-m", "training.cli", "predict", *predict_argv(args)]
