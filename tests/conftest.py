"""Shared fixtures: a tokenizer trained on a few hundred corpus sentences and tiny CamemBERTs.

Everything is built in-process and offline; the Hub is disabled so an accidental download fails fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.pop("CLAIMS_MODEL", None)

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TINY_CONFIG = ROOT / "configs" / "tiny.yaml"


def corpus_texts(split: str = "train", limit: int = 300) -> list[str]:
    with (ROOT / "data" / "claims" / f"{split}.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for _, line in zip(range(limit), handle)]


def save_tiny_model(path: Path, texts: list[str], max_length: int = 48, seed: int = 0) -> Path:
    """A random 2-layer, hidden-32 CamemBERT classifier with a tokenizer trained on ``texts``."""
    import torch

    from training.config import ModelConfig
    from training.model import build_model

    torch.manual_seed(seed)
    config = ModelConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        vocab_size=600,
        max_length=max_length,
    )
    model, tokenizer = build_model(config, train_texts=texts)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def train_texts() -> list[str]:
    return corpus_texts("train", 300)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, train_texts) -> Path:
    """Read-only tiny model; copy it (``shutil.copytree``) before changing anything inside."""
    return save_tiny_model(tmp_path_factory.mktemp("tiny-model"), train_texts)


@pytest.fixture(scope="session")
def trained_tiny(tmp_path_factory) -> tuple[Path, dict]:
    """The tiny config trained end to end once: ``(output_dir, metrics)``."""
    from training.train import main

    out = tmp_path_factory.mktemp("trained") / "model"
    metrics = main(TINY_CONFIG, output_dir=out)
    return out, metrics
