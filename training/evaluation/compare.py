"""``claims compare``: one table across evaluation reports, each run tested against the first."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from inference.labels import LABEL2ID, LABELS

from .significance import fast_macro_f1, mcnemar_pvalue, paired_bootstrap_pvalue


def load_report(report_dir: str | Path) -> tuple[dict, list[str], np.ndarray, np.ndarray]:
    """``(metrics, texts, gold ids, predicted ids)`` of a report directory written by ``claims evaluate``."""
    report_dir = Path(report_dir)
    for name in ("metrics.json", "predictions.jsonl"):
        if not (report_dir / name).is_file():
            raise FileNotFoundError(f"{report_dir / name} is missing: is {report_dir} a claims evaluate report?")
    metrics = json.loads((report_dir / "metrics.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (report_dir / "predictions.jsonl").open(encoding="utf-8")]
    gold = np.array([LABEL2ID[r["gold"]] for r in rows])
    pred = np.array([LABEL2ID[r["predicted"]] for r in rows])
    return metrics, [r["text"] for r in rows], gold, pred


def compare_reports(report_dirs: list[str | Path], n_bootstrap: int = 2000) -> str:
    """Markdown table: accuracy and macro-F1 with CIs, MCC, ECE, and p-values against the first report.

    Raises:
        ValueError: the reports were not computed on the same sentences in the same order.
    """
    loaded = [load_report(d) for d in report_dirs]
    _, ref_texts, ref_gold, ref_pred = loaded[0]
    lines = [
        "| run | n | accuracy [95% CI] | macro-F1 [95% CI] | MCC | ECE | Δ macro-F1 vs first | p (paired bootstrap) "
        "| p (McNemar) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for directory, (metrics, texts, gold, pred) in zip(report_dirs, loaded):
        if texts != ref_texts or not np.array_equal(gold, ref_gold):
            raise ValueError(
                f"{directory} was evaluated on other sentences than {report_dirs[0]}; paired tests need the same data"
            )
        m = metrics["metrics"]
        delta = m["macro_f1"] - loaded[0][0]["metrics"]["macro_f1"]
        if directory is report_dirs[0]:
            p_boot = p_mcnemar = "-"
        else:
            f1 = lambda g, p: fast_macro_f1(g, p, len(LABELS))  # noqa: E731
            p_boot = f"{paired_bootstrap_pvalue(gold, ref_pred, pred, f1, n_bootstrap):.4f}"
            p_mcnemar = f"{mcnemar_pvalue(gold, ref_pred, pred):.4f}"
        lines.append(
            f"| {directory} | {len(gold)} "
            f"| {m['accuracy']:.3f} [{m['accuracy_ci95'][0]:.3f}, {m['accuracy_ci95'][1]:.3f}] "
            f"| {m['macro_f1']:.3f} [{m['macro_f1_ci95'][0]:.3f}, {m['macro_f1_ci95'][1]:.3f}] | {m['mcc']:.3f} "
            f"| {metrics['calibration']['ece_after']:.3f} | {delta:+.3f} | {p_boot} | {p_mcnemar} |"
        )
    return "\n".join(lines)


def run_compare(report_dirs: list[str]) -> int:
    print(compare_reports(report_dirs))
    return 0
