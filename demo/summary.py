"""The line under the demo's title: which model answers, its labels, and the scores its ``metrics.json``
records (test, and the real-style dev set when present), so a visitor knows how far to trust it."""

from __future__ import annotations

import json
from pathlib import Path

from inference import Classifier

# metrics.json split -> how the page names it, in the order shown.
SPLITS = {"test": "test", "dev": "real-style dev"}


def read_scores(model_dir: Path) -> dict[str, dict[str, float]]:
    """``{split: {"macro_f1": ..., "accuracy": ...}}`` for the splits of ``SPLITS`` found in ``metrics.json``.

    A missing or unreadable file gives ``{}``: the page then says there are no recorded scores.
    """
    try:
        metrics = json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    scores = {}
    for split in SPLITS:
        entry = metrics.get(split) if isinstance(metrics, dict) else None
        if isinstance(entry, dict) and isinstance(entry.get("macro_f1"), (int, float)):
            scores[split] = {
                k: float(entry[k]) for k in ("macro_f1", "accuracy") if isinstance(entry.get(k), (int, float))
            }
    return scores


def describe_model(classifier: Classifier) -> str:
    """Markdown: model name and folder, labels, recorded scores and whether the scores are calibrated."""
    path = classifier.path
    scores = read_scores(path)
    if scores:
        recorded = "; ".join(
            f"{SPLITS[split]}: macro-F1 {values['macro_f1']:.3f}"
            + (f", accuracy {values['accuracy']:.3f}" if "accuracy" in values else "")
            for split, values in scores.items()
        )
    else:
        recorded = "none recorded (no test scores in the folder's `metrics.json`)"
    temperature = classifier.temperature  # the one its scores get (none if fitted on the other kind of scores)
    calibration = f"calibrated (temperature {temperature:.2f})" if temperature != 1.0 else "not calibrated"
    return (
        f"**Model** `{path.name}` (`{path}`) · **labels** {', '.join(classifier.labels)}  \n"
        f"**Scores** {recorded} · probabilities {calibration}"
    )
