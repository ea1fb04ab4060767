"""End-to-end training with the tiny config: outputs, determinism, resume after SIGKILL, offline and local paths."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml
from safetensors import safe_open

from inference import Classifier
from inference.labels import ID2LABEL, LABELS
from training.checkpoints import last_complete_checkpoint
from training.config import load_config
from training.deploy.launch import accelerate_launch
from training.model import ModelUnavailableError, resolve_source
from training.train import main

from .conftest import ROOT, TINY_CONFIG

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def test_training_writes_a_complete_model_directory(trained_tiny):
    out, metrics = trained_tiny
    for name in (
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "run_config.yaml",
        "metrics.json",
        "README.md",
    ):
        assert (out / name).is_file(), name
    assert not (out / "training_args.bin").exists(), "no pickle next to the model"
    assert not (out / ".staging").exists()
    config = json.loads((out / "config.json").read_text())
    assert {int(k): v for k, v in config["id2label"].items()} == ID2LABEL
    assert config["label2id"] == {label: i for i, label in ID2LABEL.items()}
    assert load_config(out / "run_config.yaml").training.output_dir == str(out)
    saved = json.loads((out / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(metrics))
    for split in ("validation", "dev", "test"):
        assert 0.0 <= saved[split]["macro_f1"] <= 1.0
        assert set(saved[split]["per_class"]) == set(LABELS)
    assert saved["test"]["per_class"]["neutral"]["support"] > 0
    # The real-style dev set is scored through the inference path on all of its sentences, never trained on.
    assert sum(c["support"] for c in saved["dev"]["per_class"].values()) == 640
    card = (out / "README.md").read_text()
    assert "macro-F1" in card and "accusation" in card
    assert "| dev |" in card and "dev_real.jsonl` (dev: real-style, never trained on)" in card
    with safe_open(out / "model.safetensors", "pt") as weights:
        assert any("classifier" in key for key in weights.keys())
    assert Classifier(out).predict("Le ministre dément toute implication.").label in LABELS


def test_same_seed_gives_identical_metrics(trained_tiny, tmp_path):
    _, first = trained_tiny
    second = main(TINY_CONFIG, output_dir=tmp_path / "again")
    for split in ("validation", "test"):
        assert second[split] == first[split]


def test_class_weighted_loss_and_accumulation_run(tmp_path):
    metrics = main(
        TINY_CONFIG,
        ["training.class_weighted_loss=true", "training.gradient_accumulation_steps=2", "training.num_train_epochs=1"],
        output_dir=tmp_path / "weighted",
    )
    assert metrics["training"]["global_step"] == 10  # 300 rows / 16 per batch = 19 batches -> 10 steps of 2


def test_resume_after_sigkill_ends_with_a_valid_model(tmp_path):
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "training",
        "--config",
        str(TINY_CONFIG),
        "--output-dir",
        str(out),
        "--set",
        "training.num_train_epochs=30",
        "--set",
        "data.max_train_samples=600",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while (
        time.time() < deadline
        and last_complete_checkpoint(out.with_name("killed.checkpoints"), remove_incomplete=False) is None
    ):
        assert proc.poll() is None, "training ended before it could be killed"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "model.safetensors").exists(), "a killed run must not leave a final model"
    checkpoint = last_complete_checkpoint(out.with_name("killed.checkpoints"))
    assert checkpoint is not None
    resumed = subprocess.run(
        cmd[:-4] + ["--set", "training.num_train_epochs=3", "--set", "data.max_train_samples=600", "--resume"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["resumed_from"] == str(checkpoint)
    # The resumed run continued from the checkpoint's step and optimiser: AdamW's step counter in the last
    # checkpoint counts the steps of both runs (a fresh optimiser would count only the resumed run's).
    step = int(checkpoint.name.split("-")[1])
    assert f"--resume: continuing from {checkpoint} (step {step})" in resumed.stderr
    assert metrics["training"]["global_step"] == 3 * 38
    last = last_complete_checkpoint(out.with_name("killed.checkpoints"), remove_incomplete=False)
    optimizer = torch.load(last / "optimizer.pt", weights_only=True)  # written by this test's own run
    assert step < 3 * 38 and max(int(s["step"]) for s in optimizer["state"].values()) == 3 * 38
    assert Classifier(out).predict(["Une phrase.", "Une autre phrase ici."])[1].label in LABELS


def test_hub_model_offline_fails_at_once_with_the_ways_out(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with pytest.raises(ModelUnavailableError) as error:
        resolve_source("camembert-base")
    assert time.perf_counter() - started < 5
    message = str(error.value)
    assert "camembert-base" in message and "not available offline" in message
    assert "--set model.name_or_path=" in message and "camembert-mini.yaml" in message


def test_training_the_base_config_offline_raises_the_clear_error(tmp_path):
    with pytest.raises(ModelUnavailableError, match="not available offline"):
        main(ROOT / "configs" / "camembert-base.yaml", ["data.max_train_samples=20"], output_dir=tmp_path / "base")
    assert not (tmp_path / "base" / "model.safetensors").exists()


def test_local_directory_is_used_like_a_hub_id(tiny_model_dir, tmp_path):
    metrics = main(
        TINY_CONFIG,
        [f"model.name_or_path={tiny_model_dir}", "training.max_steps=4"],
        output_dir=tmp_path / "from-local",
    )
    assert metrics["training"]["global_step"] == 4
    # The tiny checkpoint has 48 positions; the config's max_length of 64 is capped to what it supports.
    config = yaml.safe_load((tmp_path / "from-local" / "run_config.yaml").read_text())
    assert config["model"]["max_length"] == 48
    saved = json.loads((tmp_path / "from-local" / "config.json").read_text())
    assert saved["hidden_size"] == 32 and saved["id2label"]["0"] == LABELS[0]
    config = yaml.safe_load((tmp_path / "from-local" / "run_config.yaml").read_text())
    assert config["model"]["name_or_path"] == str(tiny_model_dir)


def test_local_directory_without_config_is_refused(tmp_path):
    with pytest.raises(ModelUnavailableError, match="config.json is missing"):
        resolve_source(str(tmp_path))


def test_two_process_run_matches_single_process_with_accumulation(tmp_path):
    """2 CPU processes x batch 16 take the same optimiser steps as 1 process x 16 x 2 accumulation."""
    launch = [
        *accelerate_launch(2),
        "-m",
        "training",
        "--config",
        str(TINY_CONFIG),
        "--output-dir",
        str(tmp_path / "ddp"),
    ]
    result = subprocess.run(launch, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    ddp = json.loads((tmp_path / "ddp" / "metrics.json").read_text())
    single = main(TINY_CONFIG, ["training.gradient_accumulation_steps=2"], output_dir=tmp_path / "single")
    assert ddp["training"]["num_processes"] == 2
    assert ddp["training"]["global_step"] == single["training"]["global_step"]
    vocab = [
        json.loads((tmp_path / run / "tokenizer.json").read_text())["model"]["vocab"] for run in ("ddp", "single")
    ]
    assert [piece for piece, _ in vocab[0]] == [piece for piece, _ in vocab[1]]
    with (
        safe_open(tmp_path / "ddp" / "model.safetensors", "pt") as a,
        safe_open(tmp_path / "single" / "model.safetensors", "pt") as b,
    ):
        assert {k: a.get_slice(k).get_shape() for k in a.keys()} == {k: b.get_slice(k).get_shape() for k in b.keys()}
    assert abs(ddp["validation"]["accuracy"] - single["validation"]["accuracy"]) < 0.1


def test_local_mlm_checkpoint_gets_a_fresh_head_and_keeps_its_tokenizer(tmp_path, caplog):
    """A pretrained encoder folder (masked-LM head, its own tokenizer), as camembert-base is on disk."""
    from transformers import AutoTokenizer, CamembertConfig, CamembertForMaskedLM

    from training.tokenizer import train_tokenizer

    from .conftest import corpus_texts

    source = tmp_path / "mlm"
    tokenizer = train_tokenizer(corpus_texts("validation", 300), vocab_size=500, max_length=64)
    config = CamembertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=66, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    CamembertForMaskedLM(config).save_pretrained(source)
    tokenizer.save_pretrained(source)
    with caplog.at_level("WARNING", logger="training.model"):
        metrics = main(
            TINY_CONFIG, [f"model.name_or_path={source}", "training.max_steps=4"], output_dir=tmp_path / "ft"
        )
    assert metrics["training"]["global_step"] == 4
    assert "no classification labels" in caplog.text and "classifier.out_proj.weight" in caplog.text
    # The fine-tuned model speaks the source's vocabulary, not one learnt on the training split.
    assert AutoTokenizer.from_pretrained(tmp_path / "ft").get_vocab() == tokenizer.get_vocab()
    saved = json.loads((tmp_path / "ft" / "config.json").read_text())
    assert saved["architectures"] == ["CamembertForSequenceClassification"] and saved["vocab_size"] == len(tokenizer)
