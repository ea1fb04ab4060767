"""Fine-tune a claim classifier: config -> data -> model -> Trainer -> evaluated, published model."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import torch
from accelerate import PartialState
from transformers import AutoTokenizer, set_seed

from inference.predictor import Classifier

from .card import render_model_card
from .checkpoints import check_output_dir, last_complete_checkpoint, publish_model
from .config import load_config, save_config
from .data import load_splits
from .evaluation.baselines import TFIDF
from .evaluation.metrics import compute_classification_metrics
from .evaluation.small_data import compare_with_baselines
from .model import build_model
from .splits import load_run_rows
from .tokenizer import train_model_tokenizer
from .trainer import build_trainer, resolve_precision

logger = logging.getLogger(__name__)


def main(
    config_path: str | Path | None = None,
    overrides: list[str] | None = None,
    output_dir: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train, evaluate on validation and test, and publish the model into the output directory.

    A non-empty output directory is refused unless ``overwrite`` (replace its model) or ``resume``.

    Returns:
        The metrics written to ``metrics.json`` (empty on non-main processes of a distributed run).
    """
    # 1. Resolve the config; the CLI's output directory wins over the file's.
    config = load_config(config_path, overrides)
    if output_dir is not None:
        config.training.output_dir = str(output_dir)
    out = Path(config.training.output_dir)
    check_output_dir(out, overwrite, resume)
    # cpu=True makes a CPU launch join its peers over gloo now (a bare PartialState() stays one process until
    # the Trainer initialises it), so main_process_first and the barriers below are real.
    state = PartialState(cpu=config.training.use_cpu or not torch.cuda.is_available())
    if config.training.torch_threads:
        torch.set_num_threads(config.training.torch_threads)
    set_seed(config.training.seed)
    # The precision actually used is what run_config.yaml records, not "auto".
    config.training.mixed_precision = resolve_precision(config.training.mixed_precision, config.training.use_cpu)
    checkpoints = config.training.checkpoints_path()

    # 2. Data, checked line by line before datasets reads it (the main process first fills the cache).
    with state.main_process_first():
        run = load_run_rows(config.data, config.training.seed)
        splits = load_splits(config.data, run=run)
    for note in run.notes:
        logger.info("%s", note)
    # run_config.yaml records the labels and the split seed actually used, so evaluate re-derives the same data.
    config.data.labels = list(run.labels)
    if not config.data.validation_file and config.data.split_seed is None:
        config.data.split_seed = config.training.seed
    checkpoint = None
    if resume:
        # Only the main process deletes incomplete checkpoints; the others wait, then look.
        with state.main_process_first():
            checkpoint = last_complete_checkpoint(
                checkpoints, remove_incomplete=state.is_main_process, num_processes=state.num_processes
            )
        if state.is_main_process:
            if checkpoint is None:
                logger.warning("--resume: no complete checkpoint in %s, starting from scratch", checkpoints)
            else:
                state_file = json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))
                logger.warning("--resume: continuing from %s (step %d)", checkpoint, state_file["global_step"])
        if checkpoint is None and not overwrite:
            check_output_dir(out)  # nothing to resume: a fresh run must not silently replace the model there
    if not resume and state.is_main_process and checkpoints.exists():
        # A fresh run must not rotate, or resume from, an earlier run's checkpoints.
        shutil.rmtree(checkpoints)
    state.wait_for_everyone()

    # 3. Tokenizer and model. A from-scratch tokenizer is trained once by the main process and
    #    shared through disk, so every process (and a resumed run) sees the same vocabulary.
    tokenizer = None
    if config.model.name_or_path is None:
        tokenizer_dir = checkpoints / "tokenizer"
        with state.main_process_first():
            if state.is_main_process and not (checkpoint and (tokenizer_dir / "tokenizer.json").is_file()):
                train_model_tokenizer(config.model, splits["train"]["text"]).save_pretrained(tokenizer_dir)
            tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    set_seed(config.training.seed)  # same initial weights whatever the tokenizer training consumed
    model, tokenizer = build_model(config.model, tokenizer=tokenizer, labels=run.labels)
    config.model.vocab_size = len(tokenizer)  # what the tokenizer holds, not what was asked for
    prior = None
    if config.model.embedding_init and not checkpoint:
        from .prior import init_embeddings_from_vectors

        prior = init_embeddings_from_vectors(model, tokenizer, config.model.embedding_init, splits["train"]["text"])
        logger.warning("embeddings from %s: %s", config.model.embedding_init, prior)

    # 4. Tokenize (padding happens per batch in the collator).
    def encode(batch):
        return tokenizer(batch["text"], truncation=True, max_length=config.model.max_length)

    encoded = {}
    with state.main_process_first():
        for name, split in splits.items():
            if name in ("test", "dev"):  # evaluated through the inference path only
                continue
            keep = ["input_ids", "attention_mask", "labels"]
            ds = split.map(encode, batched=True, desc=f"tokenizing {name}").rename_column("label", "labels")
            ds = ds.remove_columns([c for c in ds.column_names if c not in keep])
            if name == "validation":  # sorted by length, evaluation batches pad little (metrics ignore order)
                lengths = [len(ids) for ids in ds["input_ids"]]
                ds = ds.select(sorted(range(len(ds)), key=lambda i: -lengths[i]))
            encoded[name] = ds

    # 5. Train, resuming from the last complete checkpoint when asked.
    trainer = build_trainer(config, model, tokenizer, encoded["train"], encoded["validation"], run.labels)
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    train_seconds = time.perf_counter() - started
    if not trainer.is_world_process_zero():
        trainer.accelerator.wait_for_everyone()
        return {}

    # 6. Stage the best model with its tokenizer and resolved config.
    staging = out / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    trainer.save_model(str(staging))
    (staging / "training_args.bin").unlink(missing_ok=True)  # a pickle; the YAML below says the same
    tokenizer.save_pretrained(str(staging))
    save_config(config, staging / "run_config.yaml")

    # 7. Evaluate through the inference path, so every run exercises predict(): the encoder alone, then (when
    #    configured and it helps on validation) fused with the lexical channel fitted on the training split.
    classifier = Classifier(staging, device="cpu" if config.training.use_cpu else None, accept_any_labels=True)
    evaluated = [name for name in ("validation", "dev", "test") if name in splits]
    logits = {name: classifier.predict_logits(splits[name]["text"]) for name in evaluated}
    metrics: dict[str, Any] = {}
    if config.model.lexical_channel:
        from .lexical import add_lexical_channel

        gold = {
            n: [classifier.labels.index(run.labels[i]) for i in splits[n]["label"]] for n in ("train", "validation")
        }
        metrics["lexical"], channel = add_lexical_channel(
            staging, classifier.labels, (splits["train"]["text"], gold["train"]),
            (splits["validation"]["text"], gold["validation"]), logits["validation"],
        )  # fmt: skip
        metrics["encoder_only"] = {name: _scores(logits[name], classifier, splits[name], run) for name in evaluated}
        if channel is not None:  # what Classifier.predict_logits computes with the channel, without a second pass
            logits = {name: channel.fuse(logits[name], splits[name]["text"]) for name in evaluated}
        summary = {k: v for k, v in metrics["lexical"].items() if k != "validation_macro_f1"}
        logger.warning(
            "lexical channel: %s (validation macro-F1 %s)", summary, metrics["lexical"]["validation_macro_f1"]
        )
    for name in evaluated:
        metrics[name] = _scores(logits[name], classifier, splits[name], run)
    metrics["data"] = {"labels": list(run.labels), "sizes": {k: len(v) for k, v in run.splits.items()}}
    metrics["data"]["notes"] = run.notes
    # A model below the cheap baselines on its own validation data says so, naming the better options.
    # The lexical channel is the TF-IDF baseline fitted on the same split: its validation score is not refitted.
    scored = {TFIDF: metrics["lexical"]["validation_macro_f1"]["lexical"]} if "lexical" in metrics else None
    metrics["baselines"] = compare_with_baselines(run, metrics["validation"]["macro_f1"], config, scored)
    metrics["training"] = {
        "train_seconds": round(train_seconds, 1),
        "epochs": trainer.state.epoch,
        "global_step": trainer.state.global_step,
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "resumed_from": str(checkpoint) if checkpoint else None,
        "num_processes": state.num_processes,
    }
    if prior:
        metrics["training"]["embedding_init"] = prior

    # 8. Metrics, card, then the atomic swap into the output directory.
    (staging / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (staging / "README.md").write_text(render_model_card(config, metrics), encoding="utf-8")
    publish_model(staging, out)
    trainer.accelerator.wait_for_everyone()
    return metrics


def _scores(logits, classifier: Classifier, split, run) -> dict[str, Any]:
    """Classification metrics of ``logits`` (columns in the checkpoint's label order) against ``split``."""
    ids = [run.labels.index(classifier.labels[k]) for k in logits.argmax(axis=1)]
    return compute_classification_metrics(ids, split["label"], run.labels)
