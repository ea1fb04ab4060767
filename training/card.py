"""The model card (``README.md``) written beside every trained model, describing the data it was trained on."""

from __future__ import annotations

from typing import Any

from inference.labels import LABELS

from .config import RunConfig
from .splits import is_bundled


def render_model_card(config: RunConfig, metrics: dict[str, Any]) -> str:
    """Markdown card: intended use, data actually used (files, sizes, labels), metrics, training, limits."""
    m, t, d = config.model, config.training, config.data
    labels = list(metrics.get("data", {}).get("labels") or d.labels or LABELS)
    claims = set(labels) <= set(LABELS)
    bundled = is_bundled(d.train_file)
    base = m.name_or_path or (
        f"CamemBERT architecture trained from scratch ({m.num_hidden_layers} layers, hidden {m.hidden_size}, "
        f"{m.num_attention_heads} heads), SentencePiece tokenizer of {m.vocab_size} pieces learnt on the "
        "training split"
    )
    rows = []
    for split in ("validation", "dev", "test"):
        if split in metrics:
            s = metrics[split]
            rows.append(
                f"| {split} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} | {s['weighted_f1']:.3f} | {s['mcc']:.3f} |"
            )
    scored = "test" if "test" in metrics else "validation"
    per_class = [
        f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |"
        for label, c in metrics.get(scored, {}).get("per_class", {}).items()
    ]
    purpose = (
        "Labels each sentence of French news as one of: " if claims else "Labels each sentence as one of: "
    ) + ", ".join(f"`{label}`" for label in labels)
    baselines = metrics.get("baselines", {})
    warning = f"\n> **Warning**: {baselines['warning']}\n" if baselines.get("warning") else ""
    patience = (
        f"early stopping after {t.early_stopping_patience} epochs without validation macro-F1 gain"
        if t.early_stopping_patience
        else "no early stopping"
    )
    return f"""---
language: fr
library_name: transformers
pipeline_tag: text-classification
tags: [{"claims, " if claims else ""}french, camembert]
---

# French {"claim " if claims else ""}classifier

{purpose}.
{_intended_use(claims, bundled)}
**Base model**: {base}.

## Data

{_data_lines(config, metrics, bundled)}
## Metrics

| split | accuracy | macro-F1 | weighted-F1 | MCC |
|---|---|---|---|---|
{chr(10).join(rows)}

| {scored} label | precision | recall | F1 | support |
|---|---|---|---|---|
{chr(10).join(per_class)}
{_baseline_lines(baselines)}{warning}
## Training

{t.num_train_epochs:g} epochs at most ({patience}), learning rate {t.learning_rate:g}, batch size
{t.per_device_train_batch_size} x {t.gradient_accumulation_steps} accumulation, max length {m.max_length} tokens,
seed {t.seed}. Full resolved settings: `run_config.yaml`.
{_lexical_lines(metrics)}
## Limits

- {"Trained on a hand-written corpus of wire-style sentences; real copy (opinion pieces, transcripts, social media) will score lower." if bundled else "Trained on the data above only; text unlike it will score lower."}
- One label per sentence.
- Sentences longer than {m.max_length} tokens are truncated; split long texts into sentences first.
- Scores are probabilities after temperature calibration only if `calibration.json` is present.

## Use

```python
from inference import predict
predict("Le ministère a démenti toute implication.", model="path/to/this/folder"{"" if claims else ", accept_any_labels=True"})
```
"""  # noqa: E501


def _lexical_lines(metrics: dict[str, Any]) -> str:
    """What the lexical channel is, its weight and what it changed, when the run fitted one."""
    lexical = metrics.get("lexical")
    if not lexical:
        return ""
    if not lexical["written"]:
        return (
            "\nA word and character n-gram channel was fitted and left out: no mixing weight beat the encoder alone "
            "on validation.\n"
        )
    alone = metrics.get("encoder_only", {})
    scores = ", ".join(
        f"{split} {alone[split]['macro_f1']:.3f} -> {metrics[split]['macro_f1']:.3f}"
        for split in ("validation", "dev", "test")
        if split in alone and split in metrics
    )
    return (
        f"\nScores fuse the encoder with a word 1-2-gram and character 2-5-gram TF-IDF logistic regression fitted on "
        f"the same training split (`lexical.json`, `lexical.safetensors`): (1 - {lexical['weight']:g}) x the "
        f"encoder's log-probabilities + {lexical['weight']:g} x the n-grams', the weight chosen on validation. "
        f"Macro-F1, encoder alone -> fused: {scores}.\n"
    )


def _intended_use(claims: bool, bundled: bool) -> str:
    if not (claims and bundled):
        return ""
    return (
        "\n**Intended use**: finding who accuses, who denies and who reassures in French news copy, one sentence at\n"
        "a time, for newsroom data teams, fact-checkers and researchers. Not a fact-checker: it labels the\n"
        "speech act, not whether the claim is true.\n"
    )


def _data_lines(config: RunConfig, metrics: dict[str, Any], bundled: bool) -> str:
    """One line per split: where its sentences came from and how many there were; then the labels."""
    d = config.data
    data = metrics.get("data", {})
    sizes = data.get("sizes", {})
    labels = data.get("labels") or d.labels or list(LABELS)
    columns = (
        ""
        if (d.text_column, d.label_column) == ("text", "label")
        else (f" (text in column `{d.text_column}`, label in `{d.label_column}`)")
    )
    train = f"`{d.train_file}`{columns}" + (" plus the bundled corpus's training split" if d.mix_bundled else "")
    lines = [f"- train: {train}, {sizes.get('train', '?')} sentences"]
    if d.validation_file:
        lines.append(
            f"- validation (model selection): `{d.validation_file}`, {sizes.get('validation', '?')} sentences"
        )
    else:
        lines.append(
            f"- validation (model selection): {sizes.get('validation', '?')} sentences held out of `{d.train_file}` "
            f"({d.validation_fraction:.0%} of each label, stratified, seed {d.split_seed})"
        )
    lines.append(f"- test: `{d.test_file}`, {sizes.get('test', '?')} sentences" if d.test_file else "- test: none")
    if d.dev_file:
        lines.append(f"- dev: `{d.dev_file}` (dev: real-style, never trained on), {sizes.get('dev', '?')} sentences")
    lines.append(f"- labels: {', '.join(f'`{label}`' for label in labels)}")
    if bundled:
        lines.append("- label definitions and decision rules: `data/claims/GUIDELINES.md`")
    return "\n".join(lines) + "\n"


def _baseline_lines(baselines: dict[str, Any]) -> str:
    scores = baselines.get("validation_macro_f1")
    if not scores:
        return ""
    table = " | ".join(f"{name} {score:.3f}" for name, score in scores.items())
    return f"\nValidation macro-F1 against baselines on the same sentences: {table}.\n"
