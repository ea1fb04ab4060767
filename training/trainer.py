"""Assemble the ``transformers.Trainer``: arguments, collator, loss, early stopping, checkpoints."""

from __future__ import annotations

from pathlib import Path

import torch
from datasets import Dataset
from transformers import (
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Trainer,
    TrainingArguments,
)

from inference.labels import LABELS

from .config import RunConfig
from .evaluation.metrics import compute_metrics
from .loss import class_weights, make_loss

CHECKPOINT_DIR = "checkpoints"


def resolve_precision(mode: str) -> dict[str, bool]:
    """``auto`` picks bf16 on a GPU that supports it and full fp32 elsewhere (CPU autocast is slower here)."""
    if mode == "auto":
        mode = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"
    return {"bf16": mode == "bf16", "fp16": mode == "fp16"}


def build_training_args(config: RunConfig, output_dir: Path) -> TrainingArguments:
    """Map the run config onto ``TrainingArguments`` (evaluate and checkpoint every epoch)."""
    t = config.training
    return TrainingArguments(
        output_dir=str(output_dir / CHECKPOINT_DIR),
        num_train_epochs=t.num_train_epochs,
        max_steps=t.max_steps,
        per_device_train_batch_size=t.per_device_train_batch_size,
        per_device_eval_batch_size=t.per_device_eval_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        warmup_steps=t.warmup_ratio,  # a float below 1 is a fraction of the total steps in transformers 5
        lr_scheduler_type=t.lr_scheduler_type,
        max_grad_norm=t.max_grad_norm,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="steps",
        logging_steps=t.logging_steps,
        save_total_limit=t.save_total_limit,
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        seed=t.seed,
        data_seed=t.seed,
        use_cpu=t.use_cpu,
        dataloader_num_workers=t.dataloader_num_workers,
        train_sampling_strategy="group_by_length",  # batches of similar length pad less
        report_to="none",
        **resolve_precision(t.mixed_precision),
    )


def build_trainer(
    config: RunConfig,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    train: Dataset,
    validation: Dataset,
    output_dir: Path,
) -> Trainer:
    """A ``Trainer`` with dynamic padding, macro-F1 model selection and optional class weights."""
    t = config.training
    weights = class_weights(train["labels"], len(LABELS)) if t.class_weighted_loss else None
    callbacks = []
    if t.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=t.early_stopping_patience))
    return Trainer(
        model=model,
        args=build_training_args(config, output_dir),
        train_dataset=train,
        eval_dataset=validation,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_metrics,
        compute_loss_func=make_loss(weights, t.label_smoothing),
        callbacks=callbacks,
    )
