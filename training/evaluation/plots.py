"""Report figures: confusion matrix (counts and row-normalised) and reliability diagram."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on servers or CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .calibration import reliability_bins  # noqa: E402


def plot_confusion(cm: np.ndarray, labels: list[str], path: Path) -> None:
    """Two panels: raw counts, and rows normalised to recall (each gold label sums to 1)."""
    rows = cm.sum(axis=1, keepdims=True)
    normalised = np.divide(cm, rows, out=np.zeros_like(cm, dtype=float), where=rows > 0)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, data, title, fmt in ((axes[0], cm, "counts", "{:d}"), (axes[1], normalised, "row-normalised", "{:.2f}")):
        ax.imshow(data, cmap="Blues", vmin=0)
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"Confusion matrix ({title})")
        peak = data.max() if data.size else 0
        for i in range(len(labels)):
            for j in range(len(labels)):
                value = int(data[i, j]) if fmt == "{:d}" else float(data[i, j])
                ax.text(
                    j,
                    i,
                    fmt.format(value),
                    ha="center",
                    va="center",
                    color="white" if data[i, j] > 0.6 * peak else "black",
                )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_reliability(curves: dict[str, tuple[np.ndarray, np.ndarray, float]], path: Path, n_bins: int = 10) -> None:
    """Accuracy against confidence per bin, one curve per ``name -> (probs, labels, ece)``."""
    fig, ax = plt.subplots(figsize=(5.6, 5.2))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    for name, (probs, labels, ece) in curves.items():
        bins = [b for b in reliability_bins(probs, labels, n_bins) if b["count"]]
        ax.plot(
            [b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", label=f"{name} (ECE {ece:.3f})"
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability diagram")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
