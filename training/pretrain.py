"""Domain-adaptive pretraining of the mini encoder: masked-language modelling on the project's own French text.

    claims pretrain --config configs/pretrain-mini.yaml     # writes models/mini-encoder (cached, committed)

A from-scratch encoder fine-tuned on a few thousand labelled sentences memorises their vocabulary; learning
to fill in masked words on all the text the project has written first (labelled training sentences and the
unlabelled wire copy of ``data/pretrain/``) gives it French syntax and the press register before it sees a
label. Test and dev_real text is never read here (a run refuses a text file holding one of their sentences).
"""

from __future__ import annotations

import glob
import json
import logging
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import CamembertForMaskedLM, get_linear_schedule_with_warmup, set_seed

from .checkpoints import publish_model
from .config import ModelConfig, load_sections, save_config
from .mlm import mask_words, masked_lm_loss, word_starts
from .model import encoder_config
from .tokenizer import train_model_tokenizer

logger = logging.getLogger(__name__)


@dataclass
class PretrainConfig:
    """What to read, how long to train, where the encoder goes."""

    text_files: list[str] = field(default_factory=lambda: ["data/claims/train.jsonl", "data/pretrain/*.jsonl"])
    heldout_file: str | None = "data/claims/validation.jsonl"  # masked-word loss reported each epoch, not trained on
    # Sentences that must never be pretrained on (evaluation sets): a text file holding one is refused.
    exclude_files: list[str] = field(default_factory=lambda: ["data/claims/test.jsonl", "data/claims/dev_real.jsonl"])
    output_dir: str = "models/mini-encoder"
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 5e-4
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    mask_probability: float = 0.15  # share of words masked
    seed: int = 0
    torch_threads: int | None = None
    save_dtype: str = "float16"  # float16 halves the committed file; fine-tuning loads it as float32

    def __post_init__(self) -> None:
        if not 0 < self.mask_probability < 1:
            raise ValueError(f"pretrain.mask_probability must be in (0, 1), got {self.mask_probability}")
        if self.save_dtype not in {"float16", "float32"}:
            raise ValueError(f"pretrain.save_dtype must be float16 or float32, got {self.save_dtype!r}")


def read_texts(patterns: list[str]) -> list[str]:
    """The ``text`` of every line of the JSONL files matched by ``patterns`` (file:line named on a bad line)."""
    texts = []
    for pattern in patterns:
        paths = sorted(glob.glob(pattern))
        if not paths:
            raise FileNotFoundError(f"pretrain.text_files: nothing matches {pattern!r}")
        for path in paths:
            for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    text = json.loads(line)["text"]
                except (json.JSONDecodeError, KeyError, TypeError) as error:
                    message = f"{path}:{number}: expected a JSON object with a 'text' field ({error})"
                    raise ValueError(message) from error
                if not isinstance(text, str) or not text.strip():
                    raise ValueError(f"{path}:{number}: field 'text' must be a non-empty string")
                texts.append(text)
    return texts


def main(config_path: str | Path | None = None, overrides: list[str] | None = None) -> dict:
    """Pretrain, then publish encoder, tokenizer, resolved config and loss curve into ``output_dir``."""
    sections = load_sections(config_path, overrides, {"model": ModelConfig, "pretrain": PretrainConfig})
    model_config, config = sections.get("model", ModelConfig()), sections.get("pretrain", PretrainConfig())
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)

    # 1. Text, checked against the evaluation sets.
    texts = read_texts(config.text_files)
    forbidden = set(read_texts(config.exclude_files)) if config.exclude_files else set()
    leaked = [text for text in texts if text in forbidden]
    if leaked:
        raise ValueError(f"{len(leaked)} pretraining sentences are in {config.exclude_files}, e.g. {leaked[0]!r}")
    heldout = read_texts([config.heldout_file]) if config.heldout_file else []

    # 2. Tokenizer (pretraining text plus the vectors table's frequent words) and encoder, as fine-tuning would.
    set_seed(config.seed)
    tokenizer = train_model_tokenizer(model_config, texts)
    set_seed(config.seed)
    model = CamembertForMaskedLM(encoder_config(model_config, tokenizer))
    prior = None
    if model_config.embedding_init:
        from .prior import init_embeddings_from_vectors

        prior = init_embeddings_from_vectors(model, tokenizer, model_config.embedding_init, texts)

    # 3. Masked-language modelling over length-grouped batches.
    def encode(sentences):
        ids = tokenizer(sentences, truncation=True, max_length=model_config.max_length)["input_ids"]
        return ids, [word_starts(tokenizer, row) for row in ids]

    train_ids, train_starts = encode(texts)
    heldout_ids, heldout_starts = encode(heldout)
    rng = random.Random(config.seed)
    steps_per_epoch = -(-len(texts) // config.batch_size)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.learning_rate,
    )
    total = steps_per_epoch * config.epochs
    schedule = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total), total)
    history = []
    started = time.perf_counter()
    bar = tqdm(total=total, desc="pretraining", unit="step")
    for epoch in range(1, config.epochs + 1):
        model.train()
        running = 0.0
        for batch in _length_grouped(train_ids, config.batch_size, rng):
            inputs = mask_words(
                [train_ids[i] for i in batch],
                [train_starts[i] for i in batch],
                tokenizer,
                config.mask_probability,
                rng,
            )
            loss = masked_lm_loss(model, *inputs)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            running += loss.item()
            bar.update(1)
        record = {"epoch": epoch, "train_loss": round(running / steps_per_epoch, 4)}
        if heldout_ids:
            record["heldout_loss"] = round(_heldout_loss(model, tokenizer, heldout_ids, heldout_starts, config), 4)
        history.append(record)
        bar.set_postfix(record)
        logger.info("pretrain %s", record)
    bar.close()

    # 4. Publish atomically: weights last, so a killed run leaves no half-written encoder.
    out = Path(config.output_dir)
    staging = out / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.to(getattr(torch, config.save_dtype)).save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    save_config({"model": model_config, "pretrain": config}, staging / "pretrain_config.yaml")
    metrics = {
        "sentences": len(texts),
        "heldout_sentences": len(heldout),
        "pieces": sum(map(len, train_ids)),
        "seconds": round(time.perf_counter() - started, 1),
        "history": history,
        "embedding_init": prior,  # the resolved config is pretrain_config.yaml, beside it
    }
    (staging / "pretrain_metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    publish_model(staging, out)
    return metrics


def _length_grouped(encodings: list[list[int]], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar lengths: shuffle, sort within windows of 50 batches, shuffle the batches."""
    order = list(range(len(encodings)))
    rng.shuffle(order)
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: len(encodings[i]))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


@torch.no_grad()
def _heldout_loss(model, tokenizer, encodings, starts, config: PretrainConfig) -> float:
    """Masked-word loss on held-out sentences, with the same masks every epoch (a fixed seed)."""
    model.eval()
    rng = random.Random(1234)
    losses = []
    for start in range(0, len(encodings), 128):
        batch = slice(start, start + 128)
        inputs = mask_words(encodings[batch], starts[batch], tokenizer, config.mask_probability, rng)
        losses.append(masked_lm_loss(model, *inputs).item())
    return sum(losses) / len(losses)
