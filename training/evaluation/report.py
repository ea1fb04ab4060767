"""``claims evaluate``: one command, one report an editor or a reviewer can read.

Writes into the report directory: ``metrics.json``, ``predictions.jsonl``, ``confusion_matrix.png``,
``reliability.png``, ``report.md`` and a self-contained ``report.html``. The model folder is left alone,
except with ``calibrate=True`` (``--calibrate``): a temperature fitted on the validation split is written to
``calibration.json``, which inference applies, only when it lowers the validation ECE.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from inference.labels import LABELS
from inference.predictor import Classifier

from ..atomic import atomic_write_text
from .baselines import run_baselines
from .calibration import expected_calibration_error, fit_temperature, nll, save_temperature, softmax
from .metrics import compute_classification_metrics
from .plots import plot_confusion, plot_reliability
from .render import to_html, to_markdown
from .significance import accuracy, bootstrap_ci, fast_macro_f1
from .sources import load_eval_data

TOP_ERRORS = 5
ENCODER_ALONE = "this model's encoder alone (lexical channel off)"
# Fewer validation sentences than this give an ECE (10 bins) too noisy to choose a temperature by.
MIN_CALIBRATION_SENTENCES = 50


def evaluate_model(
    model_dir: str | Path,
    out_dir: str | Path,
    data_file: str | Path | None = None,
    split: str | None = None,
    calibrate: bool = False,
    n_bootstrap: int = 1000,
    text_column: str | None = None,
    label_column: str | None = None,
    delimiter: str | None = None,
) -> dict[str, Any]:
    """Evaluate a model and write the full report; returns the metrics written to ``metrics.json``.

    Without ``data_file`` or ``split``, a model trained on the bundled corpus is scored on its test split;
    any other model must be told (``ValueError``). Columns and delimiter default to the model's own.
    """
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    classifier = Classifier(model_dir, accept_any_labels=True)
    # The claim labels keep their usual order in reports; any other label set keeps the checkpoint's order.
    labels = LABELS if set(classifier.labels) == set(LABELS) else classifier.labels
    data = load_eval_data(model_dir, labels, data_file, split, text_column, label_column, delimiter)

    # 1. Data and raw model logits (temperature applied below, so before/after can be compared).
    rows = data.rows
    texts = [r["text"] for r in rows]
    label_ids = {label: i for i, label in enumerate(labels)}
    gold = np.array([label_ids[r["label"]] for r in rows])
    column = [classifier.labels.index(label) for label in labels]  # checkpoint order -> report order
    logits = classifier.predict_logits(texts)[:, column]

    # 2. Calibration: the temperature inference applies (an earlier calibration.json, else 1); with
    #    calibrate, one fitted on validation replaces it only if it lowers the validation ECE.
    temperature = classifier.temperature
    calibration: dict[str, Any] = {"fitted_on": _previous_calibration(model_dir), "written": False}
    if calibrate:
        validation = data.run.splits["validation"]
        val_logits = classifier.predict_logits([r["text"] for r in validation])[:, column]
        val_gold = np.array([label_ids[r["label"]] for r in validation])
        fitted = fit_temperature(val_logits, val_gold)
        ece_now = expected_calibration_error(softmax(val_logits, temperature), val_gold)
        ece_fitted = expected_calibration_error(softmax(val_logits, fitted), val_gold)
        calibration["validation"] = {
            "sentences": len(validation),
            "temperature_fitted": fitted,
            "ece_current": ece_now,
            "ece_fitted": ece_fitted,
        }
        if len(validation) < MIN_CALIBRATION_SENTENCES:
            calibration["not_written"] = (
                f"{len(validation)} validation sentences are too few to choose a temperature "
                f"(at least {MIN_CALIBRATION_SENTENCES})"
            )
        elif ece_fitted >= ece_now:
            calibration["not_written"] = "the fitted temperature does not lower the validation ECE"
        else:
            save_temperature(
                model_dir, fitted, data.validation_source, nll(val_logits, val_gold, temperature),
                nll(val_logits, val_gold, fitted), lexical=classifier.lexical is not None,
            )  # fmt: skip
            temperature = fitted
            calibration.update(fitted_on=data.validation_source, written=True)
    probs_raw, probs = softmax(logits), softmax(logits, temperature)
    pred = probs.argmax(axis=1)
    ece_before, ece_after = expected_calibration_error(probs_raw, gold), expected_calibration_error(probs, gold)
    calibration.update(temperature=temperature, ece_before=ece_before, ece_after=ece_after)

    # 3. Metrics with bootstrap intervals, and breakdowns by difficulty and domain.
    metrics = compute_classification_metrics(pred, gold, labels)
    k = len(labels)
    metrics["accuracy_ci95"] = bootstrap_ci(gold, pred, accuracy, n_bootstrap)
    metrics["macro_f1_ci95"] = bootstrap_ci(gold, pred, lambda g, p: fast_macro_f1(g, p, k), n_bootstrap, seed=1)
    breakdowns = {
        field: _breakdown(rows, gold, pred, field, k)
        for field in ("difficulty", "domain")
        if all(field in r for r in rows)
    }

    # 4. Baselines on the same sentences, trained on the model's training split.
    train_rows = data.run.splits["train"]
    train_texts, train_labels = [r["text"] for r in train_rows], [r["label"] for r in train_rows]
    baseline_preds = run_baselines(train_texts, train_labels, texts, labels)
    baselines = {name: compute_classification_metrics(p, gold, labels) for name, p in baseline_preds.items()}
    if classifier.lexical is not None:  # what the n-gram channel adds: the same checkpoint's encoder on its own
        encoder = Classifier(model_dir, accept_any_labels=True, lexical=False)
        encoder_pred = encoder.predict_logits(texts)[:, column].argmax(axis=1)
        baselines[ENCODER_ALONE] = compute_classification_metrics(encoder_pred, gold, labels)

    # 5. Files.
    out_dir.mkdir(parents=True, exist_ok=True)
    cm = np.bincount(gold * k + pred, minlength=k * k).reshape(k, k)
    plot_confusion(cm, list(labels), _tmp(out_dir / "confusion_matrix.png"))
    plot_reliability(
        {
            "before calibration": (probs_raw, gold, ece_before),
            f"after (T = {temperature:.2f})": (probs, gold, ece_after),
        },
        _tmp(out_dir / "reliability.png"),
    )
    for name in ("confusion_matrix.png", "reliability.png"):
        _tmp(out_dir / name).replace(out_dir / name)
    result = {
        "model": str(model_dir),
        "data": data.source,
        "n": len(rows),
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "metrics": metrics,
        "calibration": calibration,
        "breakdowns": breakdowns,
        "baselines": baselines,
        "confusion_matrix": cm.tolist(),
        "labels": list(labels),
    }
    atomic_write_text(out_dir / "metrics.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    lines = [
        json.dumps(
            {
                "text": t,
                "gold": labels[g],
                "predicted": labels[p],
                "scores": {label: round(float(s), 6) for label, s in zip(labels, row)},
                **{f: r[f] for f in ("id", "domain", "difficulty") if f in r},
            },
            ensure_ascii=False,
        )
        for t, g, p, row, r in zip(texts, gold, pred, probs, rows)
    ]
    atomic_write_text(out_dir / "predictions.jsonl", "\n".join(lines) + "\n")
    blocks = _report_blocks(result, rows, gold, pred, probs, out_dir)
    atomic_write_text(out_dir / "report.md", to_markdown(blocks))
    atomic_write_text(out_dir / "report.html", to_html(blocks, f"Evaluation report: {model_dir.name}"))
    return result


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.stem}.tmp{path.suffix}")


def _previous_calibration(model_dir: Path) -> str | None:
    """Where the temperature already stored with the model was fitted, if one is stored."""
    path = model_dir / "calibration.json"
    if not path.is_file():
        return None
    return str(json.loads(path.read_text(encoding="utf-8")).get("fitted_on") or path)


def _breakdown(rows: list[dict], gold: np.ndarray, pred: np.ndarray, field: str, k: int) -> dict[str, dict]:
    out = {}
    for value in sorted({r[field] for r in rows}):
        idx = np.array([r[field] == value for r in rows])
        out[value] = {
            "n": int(idx.sum()),
            "accuracy": accuracy(gold[idx], pred[idx]),
            "macro_f1": fast_macro_f1(gold[idx], pred[idx], k),
        }
    return out


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def _report_blocks(result, rows, gold, pred, probs, out_dir: Path) -> list[tuple]:
    m, cal = result["metrics"], result["calibration"]
    lo_a, hi_a = m["accuracy_ci95"]
    lo_f, hi_f = m["macro_f1_ci95"]
    blocks: list[tuple] = [
        ("h1", f"Evaluation report: {result['model']}"),
        ("p", f"Data: {result['data']} ({result['n']} sentences). Created {result['created']}."),
        ("h2", "Summary"),
        (
            "table",
            ["metric", "value", "95% CI (bootstrap)"],
            [
                ["accuracy", _fmt(m["accuracy"]), f"{_fmt(lo_a)} - {_fmt(hi_a)}"],
                ["macro-F1", _fmt(m["macro_f1"]), f"{_fmt(lo_f)} - {_fmt(hi_f)}"],
                ["weighted-F1", _fmt(m["weighted_f1"]), ""],
                ["Matthews correlation", _fmt(m["mcc"]), ""],
                ["ECE before calibration", _fmt(cal["ece_before"]), ""],
                ["ECE after calibration", _fmt(cal["ece_after"]), f"temperature {cal['temperature']:.3f}"],
            ],
        ),
        ("h2", "Per class"),
        (
            "table",
            ["label", "precision", "recall", "F1", "support"],
            [
                [label, _fmt(c["precision"]), _fmt(c["recall"]), _fmt(c["f1"]), c["support"]]
                for label, c in m["per_class"].items()
            ],
        ),
        ("h2", "Confusion matrix"),
        ("img", out_dir / "confusion_matrix.png", "confusion matrix, counts and row-normalised"),
        ("h2", "Calibration"),
        (
            "p",
            f"Temperature {cal['temperature']:.3f}, "
            + (f"fitted on {cal['fitted_on']}" if cal["fitted_on"] else "none fitted (claims evaluate --calibrate)")
            + "; it changes scores, never labels. Expected calibration error over 10 confidence bins.",
        ),
        ("img", out_dir / "reliability.png", "reliability diagram before and after temperature scaling"),
    ]
    for field, table in result["breakdowns"].items():
        blocks += [
            ("h2", f"By {field}"),
            (
                "table",
                [field, "sentences", "accuracy", "macro-F1"],
                [[v, s["n"], _fmt(s["accuracy"]), _fmt(s["macro_f1"])] for v, s in table.items()],
            ),
        ]
    rows_b = [["this model", _fmt(m["accuracy"]), _fmt(m["macro_f1"]), _fmt(m["mcc"])]]
    rows_b += [
        [name, _fmt(b["accuracy"]), _fmt(b["macro_f1"]), _fmt(b["mcc"])] for name, b in result["baselines"].items()
    ]
    blocks += [
        ("h2", "Against baselines (same sentences)"),
        ("table", ["system", "accuracy", "macro-F1", "MCC"], rows_b),
        ("h2", "Most confident errors"),
    ]
    labels = result["labels"]
    for g, label in enumerate(labels):
        wrong = [i for i in range(len(gold)) if gold[i] == g and pred[i] != g]
        wrong.sort(key=lambda i: -probs[i, pred[i]])
        table = [[rows[i]["text"], labels[pred[i]], f"{probs[i, pred[i]]:.2f}"] for i in wrong[:TOP_ERRORS]]
        blocks.append(("p", f"Gold {label}: {len(wrong)} errors" + (", the most confident:" if table else ".")))
        if table:
            blocks.append(("table", ["sentence", "predicted", "score"], table))
    return blocks


def run_evaluate(args: argparse.Namespace) -> int:
    result = evaluate_model(
        args.model, args.out, args.data, args.split, args.calibrate, args.bootstrap,
        args.text_column, args.label_column, args.delimiter,
    )  # fmt: skip
    m, cal = result["metrics"], result["calibration"]
    print(
        f"{result['data']}: {result['n']} sentences\n"
        f"accuracy {m['accuracy']:.3f} [{m['accuracy_ci95'][0]:.3f}, {m['accuracy_ci95'][1]:.3f}]  "
        f"macro-F1 {m['macro_f1']:.3f} [{m['macro_f1_ci95'][0]:.3f}, {m['macro_f1_ci95'][1]:.3f}]  "
        f"MCC {m['mcc']:.3f}  ECE {cal['ece_before']:.3f} -> {cal['ece_after']:.3f} (T={cal['temperature']:.2f})"
    )
    for name, b in result["baselines"].items():
        print(f"  baseline {name}: accuracy {b['accuracy']:.3f} macro-F1 {b['macro_f1']:.3f}")
    if args.calibrate:
        v = cal["validation"]
        verdict = (
            f"wrote {Path(args.model) / 'calibration.json'}"
            if cal["written"]
            else f"calibration.json not written: {cal['not_written']}"
        )
        print(
            f"calibration on {v['sentences']} validation sentences: ECE {v['ece_current']:.3f} now, "
            f"{v['ece_fitted']:.3f} with T={v['temperature_fitted']:.2f}; {verdict}"
        )
    print(f"report: {Path(args.out) / 'report.html'}")
    return 0
