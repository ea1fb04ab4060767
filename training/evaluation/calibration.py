"""Temperature scaling and calibration error.

One scalar temperature T, fitted on validation logits by minimising the negative log-likelihood,
turns over-confident scores into probabilities that match observed accuracy; it never changes the
predicted label. Inference applies it from ``calibration.json`` in the model directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_write_text

CALIBRATION_FILE = "calibration.json"


def fit_temperature(logits: np.ndarray, labels: np.ndarray, max_iter: int = 200) -> float:
    """The temperature minimising validation NLL (optimised in log space, so T stays positive)."""
    x = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(labels, dtype=torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(x / log_t.exp(), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.exp().item())


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def reliability_bins(probs: np.ndarray, labels: np.ndarray, n_bins: int = 10) -> list[dict]:
    """Per confidence bin: count, mean confidence, accuracy (equal-width bins over (0, 1])."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = []
    for low, high in zip(edges[:-1], edges[1:]):
        mask = (confidence > low) & (confidence <= high)
        count = int(mask.sum())
        bins.append(
            {
                "low": float(low),
                "high": float(high),
                "count": count,
                "confidence": float(confidence[mask].mean()) if count else None,
                "accuracy": float(correct[mask].mean()) if count else None,
            }
        )
    return bins


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, n_bins: int = 10) -> float:
    """ECE: the count-weighted mean gap between confidence and accuracy over confidence bins."""
    total = len(labels)
    if total == 0:
        return 0.0
    return float(
        sum(
            b["count"] / total * abs(b["accuracy"] - b["confidence"])
            for b in reliability_bins(probs, labels, n_bins)
            if b["count"]
        )
    )


def save_temperature(
    model_dir: Path, temperature: float, fitted_on: str, nll_before: float, nll_after: float, lexical: bool = False
) -> None:
    """Write ``calibration.json`` atomically (inference reads it on the next load). ``lexical``: the scores it was
    fitted on were fused with the model's lexical channel (inference applies it only to scores of the same kind)."""
    payload = {"temperature": temperature, "fitted_on": fitted_on, "nll_before": nll_before, "nll_after": nll_after,
               "lexical": lexical}  # fmt: skip
    atomic_write_text(Path(model_dir) / CALIBRATION_FILE, json.dumps(payload, indent=2) + "\n")


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    probs = softmax(logits, temperature)
    return float(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None)).mean())
