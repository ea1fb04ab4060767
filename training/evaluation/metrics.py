"""Metric computation for training and evaluation, through the project's local ``evaluate`` module."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import evaluate
import numpy as np

from inference.labels import LABELS

METRIC_SCRIPT = Path(__file__).parent / "metric_scripts" / "claim_metrics.py"


@lru_cache(maxsize=1)
def load_metric() -> evaluate.EvaluationModule:
    """The claim metrics module, loaded from its local path (``evaluate.load("f1")`` needs the Hub)."""
    return evaluate.load(str(METRIC_SCRIPT))


def compute_classification_metrics(
    predictions: list[int] | np.ndarray, references: list[int] | np.ndarray, label_names=LABELS
) -> dict[str, Any]:
    """Accuracy, macro/weighted F1, MCC and per-class precision/recall/F1/support."""
    return load_metric().compute(
        predictions=[int(p) for p in predictions],
        references=[int(r) for r in references],
        label_names=list(label_names),
    )


def make_compute_metrics(label_names=LABELS):
    """``Trainer`` hook over a run's labels: flat scalar metrics (the Trainer logs and compares scalars only)."""

    def compute_metrics(eval_pred) -> dict[str, float]:
        logits, labels = eval_pred
        if isinstance(logits, tuple):
            logits = logits[0]
        result = compute_classification_metrics(np.argmax(logits, axis=-1), labels, label_names)
        flat = {k: v for k, v in result.items() if k != "per_class"}
        flat.update({f"f1_{name}": scores["f1"] for name, scores in result["per_class"].items()})
        return flat

    return compute_metrics


compute_metrics = make_compute_metrics(LABELS)
