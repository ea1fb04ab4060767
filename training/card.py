"""The model card (``README.md``) written beside every trained model."""

from __future__ import annotations

from typing import Any

from inference.labels import LABELS

from .config import RunConfig


def render_model_card(config: RunConfig, metrics: dict[str, Any]) -> str:
    """Markdown card: intended use, data, labels, metrics table, limits."""
    m = config.model
    base = m.name_or_path or (
        f"CamemBERT architecture trained from scratch ({m.num_hidden_layers} layers, hidden {m.hidden_size}, "
        f"{m.num_attention_heads} heads), SentencePiece tokenizer learnt on the training split"
    )
    rows = []
    for split in ("validation", "dev", "test"):
        if split in metrics:
            s = metrics[split]
            rows.append(
                f"| {split} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} | {s['weighted_f1']:.3f} | {s['mcc']:.3f} |"
            )
    per_class = []
    if "test" in metrics:
        for label in LABELS:
            c = metrics["test"]["per_class"][label]
            per_class.append(
                f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |"
            )
    t = config.training
    dev = f", `{config.data.dev_file}` (dev: real-style, never trained on)" if config.data.dev_file else ""
    return f"""---
language: fr
library_name: transformers
pipeline_tag: text-classification
tags: [claims, french, news, camembert]
---

# French claim classifier

Labels each sentence of French news as one of: {", ".join(f"`{label}`" for label in LABELS)}.

**Intended use**: finding who accuses, who denies and who reassures in French news copy, one sentence at
a time, for newsroom data teams, fact-checkers and researchers. Not a fact-checker: it labels the
speech act, not whether the claim is true.

**Base model**: {base}.

**Data**: `{config.data.train_file}` (train), `{config.data.validation_file}` (model selection),
`{config.data.test_file}` (test){dev}. Labels and decision rules: `data/claims/GUIDELINES.md`.

## Metrics

| split | accuracy | macro-F1 | weighted-F1 | MCC |
|---|---|---|---|---|
{chr(10).join(rows)}

| test label | precision | recall | F1 | support |
|---|---|---|---|---|
{chr(10).join(per_class)}

## Training

{t.num_train_epochs:g} epochs max (early stopping patience {t.early_stopping_patience}), learning rate
{t.learning_rate:g}, batch size {t.per_device_train_batch_size} x {t.gradient_accumulation_steps} accumulation,
max length {m.max_length} tokens, seed {t.seed}. Full resolved settings: `run_config.yaml`.

## Limits

- Trained on a hand-written corpus of wire-style sentences; real copy (opinion pieces, transcripts,
  social media) will score lower.
- One label per sentence: a sentence that both accuses and denies gets the one the guidelines prefer.
- Sentences longer than {m.max_length} tokens are truncated; split long texts into sentences first.
- Scores are probabilities after temperature calibration only if `calibration.json` is present.

## Use

```python
from inference import predict
predict("Le ministère a démenti toute implication.", model="path/to/this/folder")
```
"""
