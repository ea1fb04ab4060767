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


def reliability_figure(curves: dict[str, tuple[np.ndarray, np.ndarray, float]], n_bins: int = 10):
    """Accuracy against confidence per bin, one curve per ``name -> (probs, labels, ece)``.

    Each point is labelled with its sentence count and a lower panel shows the counts per bin, so a point
    resting on three sentences is not read like one resting on three hundred; the legend sits below both
    panels, where it cannot hide a point.
    """
    fig, (ax, counts_ax) = plt.subplots(2, 1, figsize=(6.0, 7.4), sharex=True, gridspec_kw={"height_ratios": [3, 1.2]})
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    width = 1.0 / n_bins / (len(curves) + 1)
    for k, (name, (probs, labels, ece)) in enumerate(curves.items()):
        bins = [b for b in reliability_bins(probs, labels, n_bins) if b["count"]]
        x, y = [b["confidence"] for b in bins], [b["accuracy"] for b in bins]
        (line,) = ax.plot(x, y, marker="o", label=f"{name} (ECE {ece:.3f}, {len(labels)} sentences)")
        for b in bins:
            ax.annotate(
                str(b["count"]), (b["confidence"], b["accuracy"]), textcoords="offset points",
                xytext=(4, 6 if k % 2 == 0 else -12), fontsize=7, color=line.get_color(),
            )  # fmt: skip
        lefts = [b["low"] + width * (k + 0.5) for b in bins]
        bars = counts_ax.bar(lefts, [b["count"] for b in bins], width=width, align="edge", color=line.get_color())
        counts_ax.bar_label(bars, fontsize=6)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability diagram (numbers: sentences per confidence bin)")
    counts_ax.set_xlabel("confidence (top probability)")
    counts_ax.set_ylabel("sentences")
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=1, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.02 + 0.03 * len(names), 1, 1))
    return fig


def plot_reliability(curves: dict[str, tuple[np.ndarray, np.ndarray, float]], path: Path, n_bins: int = 10) -> None:
    """Write the reliability diagram of ``reliability_figure`` as a PNG."""
    fig = reliability_figure(curves, n_bins)
    fig.savefig(path, dpi=110)
    plt.close(fig)
