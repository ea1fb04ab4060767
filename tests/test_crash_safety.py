"""Kill -9 at random points: training resumes to a valid model; evaluation and export never leave a
partial file under a final name."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from inference import Classifier
from inference.labels import LABELS

from .conftest import ROOT, TINY_CONFIG

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
ENV.pop("CLAIMS_MODEL", None)


def _kill_after(cmd: list[str], seconds: float) -> int | None:
    """Run ``cmd``, SIGKILL it after ``seconds`` unless it ended; returns its exit code (None if killed)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None


def test_training_killed_at_random_points_then_resumed(tmp_path):
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "training",
        "--config",
        str(TINY_CONFIG),
        "--output-dir",
        str(out),
        "--set",
        "training.num_train_epochs=12",  # long enough (about 20 s) that the kills below land mid-run
        "--set",
        "data.max_train_samples=600",
        "--resume",
    ]
    rng = random.Random(1234)
    kills = 0
    for _ in range(3):
        code = _kill_after(cmd, rng.uniform(6.0, 14.0))
        if code is None:
            kills += 1
            weights = out / "model.safetensors"
            # Killed: either no final model, or (killed after publishing) a complete, loadable one.
            if weights.exists():
                assert Classifier(out).predict("Une phrase.").label in LABELS
        else:
            assert code == 0
            break
    assert kills >= 1, "no kill happened: the test did not exercise anything"
    final = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["global_step"] == 12 * 38
    assert 0 <= metrics["test"]["macro_f1"] <= 1
    assert Classifier(out).predict(["Le maire dément.", "Aucun risque."])[0].label in LABELS
    assert not (out / ".staging").exists()


def _complete_or_absent(folder: Path) -> None:
    """Every file under its final name is complete; temporaries may remain, finals may be missing."""
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue  # temporary names
        data = path.read_bytes()
        if path.suffix == ".json":
            json.loads(data)
        elif path.suffix == ".jsonl":
            assert data.endswith(b"\n")
            for line in data.splitlines():
                json.loads(line)
        elif path.suffix == ".png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")
        elif path.suffix in (".md", ".html"):
            assert data.rstrip().endswith(b"</html>") if path.suffix == ".html" else len(data) > 100


def test_evaluation_killed_midway_leaves_no_partial_file(trained_tiny, tmp_path):
    model = shutil.copytree(trained_tiny[0], tmp_path / "model")
    report = tmp_path / "report"
    cmd = [
        sys.executable,
        "-m",
        "training.cli",
        "evaluate",
        "--model",
        str(model),
        "--out",
        str(report),
        "--bootstrap",
        "200",
    ]
    for delay in (4.0, 7.0, 10.0, 13.0):
        if _kill_after(cmd, delay) is not None:
            break
        if report.exists():
            _complete_or_absent(report)
        if (model / "calibration.json").exists():
            json.loads((model / "calibration.json").read_text())
    assert subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, timeout=600).returncode == 0
    _complete_or_absent(report)


def test_export_killed_midway_leaves_no_partial_file(tiny_model_dir, tmp_path):
    import onnx

    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    cmd = [sys.executable, "-m", "training.cli", "export", "--model", str(model), "--quantize", "int8"]
    for delay in (3.0, 5.0, 7.0, 9.0):
        if _kill_after(cmd, delay) is not None:
            break
        for name in ("model.onnx", "model.int8.onnx"):
            if (model / name).exists():
                onnx.checker.check_model(str(model / name))
    assert subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, timeout=600).returncode == 0
    for name in ("model.onnx", "model.int8.onnx"):
        onnx.checker.check_model(str(model / name))


_KILL_WHILE_PUBLISHING = """
import os, signal, sys
import training.train as train
real_replace, real_publish = os.replace, train.publish_model
kill_at = int(os.environ["KILL_AT_REPLACE"])  # 0 = just before the weights move in

def publish(staging, out):
    calls = []
    def replace(src, dst):
        calls.append(dst)
        last = os.path.basename(str(src)) == "model.safetensors"
        if (kill_at == 0 and last) or len(calls) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(src, dst)
    os.replace = replace
    try:
        real_publish(staging, out)
    finally:
        os.replace = real_replace

train.publish_model = publish
from training.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("kill_at", [1, 3, 0])
def test_kill_inside_the_publishing_window_never_leaves_a_partial_model(tmp_path, kill_at):
    """SIGKILL at a chosen ``os.replace`` of the final publication (0: just before the weights move in)."""
    out = tmp_path / "run"
    args = ["train", "--config", str(TINY_CONFIG), "--output-dir", str(out), "--set", "training.max_steps=6"]
    env = {**ENV, "KILL_AT_REPLACE": str(kill_at)}
    killed = subprocess.run([sys.executable, "-c", _KILL_WHILE_PUBLISHING, *args], cwd=ROOT, env=env, timeout=600)
    assert killed.returncode == -signal.SIGKILL, "the kill did not happen inside publish_model"
    assert (out / ".staging").exists(), "killed while publishing: the staging folder is still there"
    assert not (out / "model.safetensors").exists(), "weights must move in last, after every other file"
    resumed = subprocess.run(
        [sys.executable, "-m", "training.cli", *args, "--resume"], cwd=ROOT, env=ENV, capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not (out / ".staging").exists()
    assert Classifier(out).predict("Le ministre dément.").label in LABELS
    # Training had finished before publication: the resumed run picks up its last checkpoint.
    assert json.loads((out / "metrics.json").read_text())["training"]["resumed_from"].endswith("checkpoint-6")
