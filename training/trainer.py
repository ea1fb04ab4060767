"""Assemble the ``transformers.Trainer``: arguments, collator, loss, early stopping, checkpoints."""

from __future__ import annotations

from collections.abc import Sequence

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
from .evaluation.metrics import make_compute_metrics
from .loss import class_weights, make_loss


def resolve_precision(mode: str, use_cpu: bool = False) -> str:
    """The precision a run actually uses: ``no`` (fp32), ``bf16`` or ``fp16``.

    ``auto`` gives bf16 only on GPUs with native bf16 (compute capability 8.0 or more; older cards such as the
    T4 or V100 report ``is_bf16_supported()`` through slow emulation), fp16 with loss scaling on older GPUs, and
    fp32 whenever training runs on the CPU (CPU autocast is slower here and changes the published figures).
    """
    if mode != "auto":
        return mode
    if use_cpu or not torch.cuda.is_available():
        return "no"
    major, _ = torch.cuda.get_device_capability()
    return "bf16" if major >= 8 else "fp16"


def build_training_args(config: RunConfig) -> TrainingArguments:
    """Map the run config onto ``TrainingArguments`` (evaluate and checkpoint every epoch)."""
    t = config.training
    return TrainingArguments(
        output_dir=str(t.checkpoints_path()),
        num_train_epochs=t.num_train_epochs,
        max_steps=t.max_steps,
        per_device_train_batch_size=t.per_device_train_batch_size,
        per_device_eval_batch_size=t.per_device_eval_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        warmup_steps=t.warmup_ratio,  # a float in [0, 1) is a fraction of the total steps in transformers 5
        lr_scheduler_type=t.lr_scheduler_type,
        max_grad_norm=t.max_grad_norm,
        eval_strategy="epoch",
        save_strategy=t.save_strategy,
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
        dataloader_persistent_workers=t.dataloader_num_workers > 0,  # no worker restart per epoch and evaluation
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        optim=t.optim,
        torch_compile=t.torch_compile,
        report_to="none",
        bf16=t.mixed_precision == "bf16",
        fp16=t.mixed_precision == "fp16",  # the Trainer adds dynamic loss scaling
    )


def build_trainer(
    config: RunConfig,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    train: Dataset,
    validation: Dataset,
    labels: Sequence[str] = LABELS,
) -> Trainer:
    """A ``Trainer`` with dynamic padding, macro-F1 model selection and optional class weights over ``labels``."""
    t = config.training
    weights = class_weights(train["labels"], len(labels)) if t.class_weighted_loss else None
    half = t.mixed_precision in ("bf16", "fp16")
    callbacks = []
    if t.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=t.early_stopping_patience))
    return Trainer(
        model=model,
        args=build_training_args(config),
        train_dataset=train,
        eval_dataset=validation,
        processing_class=tokenizer,
        # Half precision: widths in multiples of 8 fill tensor-core tiles and give torch.compile fewer shapes.
        data_collator=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8 if half else None),
        compute_metrics=make_compute_metrics(list(labels)),
        compute_loss_func=make_loss(weights, t.label_smoothing),
        callbacks=callbacks,
    )
