"""End-of-training check: does the model beat the keyword rules and TF-IDF on its own validation sentences?

On a few hundred sentences a transformer trained from scratch often does not; the warning names what works
better there, so a user does not ship a model a bag of n-grams beats.
"""

from __future__ import annotations

import logging
from typing import Any

from inference.labels import LABELS

from ..config import RunConfig
from ..splits import RunRows
from .baselines import KEYWORD, TFIDF, keyword_baseline, tfidf_baseline
from .metrics import compute_classification_metrics

logger = logging.getLogger(__name__)


def compare_with_baselines(
    run: RunRows, model_macro_f1: float, config: RunConfig, scored: dict[str, float] | None = None
) -> dict[str, Any]:
    """Validation macro-F1 of the model and of each baseline; logs a warning when a baseline is better.

    ``scored``: baselines already scored on this validation split (the lexical channel is the TF-IDF baseline),
    which are not fitted again.

    Returns:
        ``{"validation_macro_f1": {system: score}, "warning": message or None}``.
    """
    train, validation = run.splits["train"], run.splits["validation"]
    texts, gold = [r["text"] for r in validation], [run.labels.index(r["label"]) for r in validation]
    scored = scored or {}
    predictions = {}
    if set(run.labels) <= set(LABELS):
        predictions[KEYWORD] = keyword_baseline(texts, run.labels)
    if TFIDF not in scored:
        train_texts, train_labels = [r["text"] for r in train], [r["label"] for r in train]
        predictions[TFIDF] = tfidf_baseline(train_texts, train_labels, texts, run.labels)
    scores = {"model": model_macro_f1}
    for name, pred in predictions.items():
        scores[name] = compute_classification_metrics(pred, gold, run.labels)["macro_f1"]
    scores |= scored
    best = max((name for name in scores if name != "model"), key=lambda name: scores[name])
    warning = None
    if model_macro_f1 < scores[best]:
        warning = below_baseline_message(model_macro_f1, best, scores[best], len(train), len(validation), config)
        logger.warning("%s", warning)
    return {"validation_macro_f1": scores, "warning": warning}


def below_baseline_message(
    model_f1: float, baseline: str, baseline_f1: float, n_train: int, n_validation: int, config: RunConfig
) -> str:
    """What a user reads when the model loses to a baseline: the scores, then the options that fit this run."""
    options = []
    if not config.model.name_or_path:
        options.append(
            "start from the bundled trained model instead of from scratch (--config configs/own-data.yaml, "
            "or --set model.name_or_path=outputs/claims-mini after bash scripts/quickstart.sh)"
        )
    if not config.data.mix_bundled and set(config.data.labels or LABELS) <= set(LABELS):
        options.append("add the bundled corpus to the training split (--set data.mix_bundled=true)")
    options.append("label more sentences (a few hundred per label)")
    options.append(f"or use the {TFIDF} baseline itself, which claims evaluate reports beside the model")
    return (
        f"validation macro-F1 {model_f1:.3f} is below the {baseline} baseline ({baseline_f1:.3f}) on the same "
        f"{n_validation} sentences, after training on {n_train}. Better options: " + "; ".join(options) + "."
    )
