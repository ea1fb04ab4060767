"""The GPU benchmark's CPU smoke run: every part runs and writes its figures (the GPU run is the same code)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import ROOT


def test_bench_gpu_smoke_run_writes_every_part(tmp_path):
    out = tmp_path / "gpu"
    cmd = [sys.executable, str(ROOT / "scripts/bench_gpu.py"), "--out", str(out), "--device", "cpu", "--size", "tiny",
           "-n", "120", "--repeats", "1", "--bare-steps", "8", "--train-steps", "4", "--train-epochs", "1",
           "--train-samples", "200", "--profile-steps", "3"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    inference = json.loads((out / "inference.json").read_text())
    training = json.loads((out / "training.json").read_text())
    assert not [row for row in inference + training if "error" in row]
    names = [row["name"] for row in inference]
    assert names[1].startswith("transformers.pipeline") and "predict() bf16" in names
    assert all(row["sentences_per_s"] > 0 and row["tokens_per_s"] > row["sentences_per_s"] for row in inference)
    assert len(training) == 5 and all(0 < row["mfu"] < 1 and row["samples_per_s"] > 0 for row in training)
    profile = (out / "profile.txt").read_text()
    assert "steps profiled: 3; wall per step" in profile and "aten::" in profile
