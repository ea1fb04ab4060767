"""Bootstrap confidence intervals and paired significance tests for classifier comparisons."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import binomtest

MetricFn = Callable[[np.ndarray, np.ndarray], float]


def fast_macro_f1(gold: np.ndarray, pred: np.ndarray, num_labels: int) -> float:
    """Macro-F1 from a confusion matrix over the classes that occur in gold or predictions (as the metric
    module averages); fast enough for thousands of bootstrap resamples."""
    cm = np.bincount(gold * num_labels + pred, minlength=num_labels * num_labels).reshape(num_labels, num_labels)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return float(f1[denom > 0].mean()) if (denom > 0).any() else 0.0


def accuracy(gold: np.ndarray, pred: np.ndarray) -> float:
    return float((gold == pred).mean()) if len(gold) else 0.0


def bootstrap_ci(
    gold: np.ndarray, pred: np.ndarray, metric: MetricFn, n: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric`` over resampled sentences."""
    rng = np.random.default_rng(seed)
    size = len(gold)
    scores = np.empty(n)
    for i in range(n):
        idx = rng.integers(0, size, size)
        scores[i] = metric(gold[idx], pred[idx])
    tail = (1 - level) / 2 * 100
    return float(np.percentile(scores, tail)), float(np.percentile(scores, 100 - tail))


def paired_bootstrap_pvalue(
    gold: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, metric: MetricFn, n: int = 1000, seed: int = 0
) -> float:
    """Two-sided p-value that ``metric(b) - metric(a)`` is 0, resampling the same sentences for both."""
    rng = np.random.default_rng(seed)
    size = len(gold)
    observed = metric(gold, pred_b) - metric(gold, pred_a)
    deltas = np.empty(n)
    for i in range(n):
        idx = rng.integers(0, size, size)
        deltas[i] = metric(gold[idx], pred_b[idx]) - metric(gold[idx], pred_a[idx])
    # Shift the bootstrap distribution to the null (mean 0) and count deltas as extreme as observed.
    centred = deltas - deltas.mean()
    return float((np.sum(np.abs(centred) >= abs(observed)) + 1) / (n + 1))


def mcnemar_pvalue(gold: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> float:
    """Exact McNemar test on the sentences exactly one of the two systems gets right."""
    a_right, b_right = pred_a == gold, pred_b == gold
    only_a = int(np.sum(a_right & ~b_right))
    only_b = int(np.sum(~a_right & b_right))
    if only_a + only_b == 0:
        return 1.0
    return float(binomtest(only_a, only_a + only_b, 0.5).pvalue)
