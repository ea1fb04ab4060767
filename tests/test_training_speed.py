"""Training throughput settings: config keys reach TrainingArguments, batches are grouped by length, a run works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datasets import Dataset
from transformers.trainer_pt_utils import LengthGroupedSampler

from training.config import load_config
from training.model import build_model
from training.train import main
from training.trainer import build_trainer, build_training_args

from .conftest import TINY_CONFIG, corpus_texts


def test_speed_keys_parse_and_reach_the_training_arguments():
    config = load_config(
        TINY_CONFIG,
        ["training.dataloader_num_workers=2", "training.torch_compile=true", "training.save_strategy=best",
         "training.optim=adamw_torch", "training.group_by_length=false"],
    )  # fmt: skip
    args = build_training_args(config)
    assert args.dataloader_num_workers == 2 and args.dataloader_persistent_workers
    assert args.torch_compile and args.save_strategy == "best" and args.optim == "adamw_torch"
    assert args.train_sampling_strategy == "random"


def test_defaults_group_by_length_with_fused_adamw():
    args = build_training_args(load_config(TINY_CONFIG))
    assert args.train_sampling_strategy == "group_by_length"
    assert args.optim == "adamw_torch_fused"
    assert not args.dataloader_persistent_workers  # no workers: nothing to keep alive


@pytest.mark.parametrize(("key", "value", "message"), [
    ("save_strategy", "steps", "save_strategy must be epoch|best"),
    ("dataloader_num_workers", "-1", "dataloader_num_workers must be >= 0"),
    ("torch_compile", "maybe", "torch_compile: expected bool"),
])  # fmt: skip
def test_bad_speed_keys_are_refused(key, value, message):
    with pytest.raises(ValueError, match=message):
        load_config(TINY_CONFIG, [f"training.{key}={value}"])


def _padding_ratio(trainer) -> float:
    padded = real = 0
    for batch in trainer.get_train_dataloader():
        padded += batch["attention_mask"].numel()
        real += int(batch["attention_mask"].sum())
    return padded / real


def test_length_grouped_batches_pad_less_than_random_ones(tmp_path):
    texts = [" ".join(t.split()[: 3 + i % 25]) for i, t in enumerate(corpus_texts("train", 256))]
    ratios = {}
    for grouped in (True, False):
        config = load_config(TINY_CONFIG, [f"training.group_by_length={str(grouped).lower()}"])
        config.training.output_dir = str(tmp_path / f"out-{grouped}")
        model, tokenizer = build_model(config.model, train_texts=texts)
        enc = tokenizer(texts, truncation=True, max_length=config.model.max_length)
        data = Dataset.from_dict({**enc, "labels": [i % 4 for i in range(len(texts))]})
        trainer = build_trainer(config, model, tokenizer, data, data)
        sampler = trainer._get_train_sampler(data)
        assert isinstance(sampler, LengthGroupedSampler) == grouped
        ratios[grouped] = _padding_ratio(trainer)
    assert ratios[True] < 0.8 * ratios[False], ratios


def test_tiny_run_with_best_only_checkpoints(tmp_path):
    out = tmp_path / "best"
    metrics = main(TINY_CONFIG, ["training.save_strategy=best", "training.num_train_epochs=2"], output_dir=out)
    saved = sorted(p.name for p in (tmp_path / "best.checkpoints").glob("checkpoint-*"))
    assert saved and Path(metrics["training"]["best_checkpoint"]).name in saved
    assert json.loads((out / "metrics.json").read_text())["training"]["epochs"] == 2
    assert (out / "model.safetensors").is_file()


def test_half_precision_pads_batches_to_multiples_of_eight(tmp_path):
    texts = [" ".join(t.split()[: 3 + i % 25]) for i, t in enumerate(corpus_texts("train", 64))]
    widths = {}
    for precision in ("no", "bf16"):
        config = load_config(TINY_CONFIG, [f"training.mixed_precision='{precision}'"])
        config.training.output_dir = str(tmp_path / precision)
        model, tokenizer = build_model(config.model, train_texts=texts)
        enc = tokenizer(texts, truncation=True, max_length=config.model.max_length)
        data = Dataset.from_dict({**enc, "labels": [i % 4 for i in range(len(texts))]})
        trainer = build_trainer(config, model, tokenizer, data, data)
        widths[precision] = {batch["input_ids"].shape[1] for batch in trainer.get_train_dataloader()}
    assert all(width % 8 == 0 for width in widths["bf16"])
    assert any(width % 8 for width in widths["no"])  # fp32 pads to the longest row only
