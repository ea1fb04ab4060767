"""Evaluation: metric values against hand computation, calibration, significance, the full report, compare."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from inference import Classifier
from training.evaluation.calibration import expected_calibration_error, fit_temperature, softmax
from training.evaluation.compare import compare_reports
from training.evaluation.metrics import compute_classification_metrics
from training.evaluation.report import evaluate_model
from training.evaluation.significance import bootstrap_ci, fast_macro_f1, mcnemar_pvalue, paired_bootstrap_pvalue

from .conftest import ROOT

# gold/pred by hand: reassurance (2) is never predicted.
GOLD = [0, 0, 1, 1, 2, 3]
PRED = [0, 1, 1, 1, 3, 3]


def test_metrics_match_hand_computation():
    m = compute_classification_metrics(PRED, GOLD)
    assert m["accuracy"] == pytest.approx(4 / 6)
    pc = m["per_class"]
    assert (pc["accusation"]["precision"], pc["accusation"]["recall"], pc["accusation"]["f1"]) == pytest.approx(
        (1, 0.5, 2 / 3)
    )
    assert (pc["denial"]["precision"], pc["denial"]["recall"], pc["denial"]["f1"]) == pytest.approx((2 / 3, 1, 0.8))
    assert (pc["reassurance"]["precision"], pc["reassurance"]["recall"], pc["reassurance"]["f1"]) == (0, 0, 0)
    assert (pc["neutral"]["precision"], pc["neutral"]["recall"], pc["neutral"]["f1"]) == pytest.approx((0.5, 1, 2 / 3))
    assert [pc[k]["support"] for k in pc] == [2, 2, 1, 1]
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 0 + 2 / 3) / 4)
    assert m["weighted_f1"] == pytest.approx((2 * 2 / 3 + 2 * 0.8 + 0 + 2 / 3) / 6)
    assert m["mcc"] == pytest.approx(14 / np.sqrt(22 * 26))


def test_class_absent_from_gold_and_predictions_is_reported_but_not_averaged():
    m = compute_classification_metrics([0, 1, 1], [0, 1, 0])
    assert m["per_class"]["neutral"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 2)  # two classes occur; absent ones would add zeros
    # A class the model predicts but gold never has still counts (its false positives are real errors).
    assert compute_classification_metrics([0, 1, 3], [0, 1, 1])["macro_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_fast_macro_f1_agrees_with_the_evaluate_module():
    rng = np.random.default_rng(0)
    gold, pred = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    assert fast_macro_f1(gold, pred, 4) == pytest.approx(compute_classification_metrics(pred, gold)["macro_f1"])
    assert fast_macro_f1(np.array(GOLD), np.array(PRED), 4) == pytest.approx((2 / 3 + 0.8 + 2 / 3) / 4)


def test_expected_calibration_error_by_hand():
    # Confidences 0.85 (one right, one wrong) and 0.55 (both right): gaps 0.35 and 0.45, equal weights.
    probs = np.array([[0.85, 0.15], [0.85, 0.15], [0.55, 0.45], [0.55, 0.45]])
    labels = np.array([0, 1, 0, 0])
    assert expected_calibration_error(probs, labels) == pytest.approx(0.5 * 0.35 + 0.5 * 0.45)


def test_temperature_fit_recovers_the_true_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(6000, 4))
    labels = np.array([rng.choice(4, p=p) for p in softmax(logits, 2.0)])
    assert fit_temperature(logits, labels) == pytest.approx(2.0, rel=0.1)
    assert expected_calibration_error(softmax(logits, 2.0), labels) < expected_calibration_error(
        softmax(logits), labels
    )


def test_bootstrap_interval_brackets_the_estimate():
    rng = np.random.default_rng(1)
    gold = rng.integers(0, 4, 400)
    pred = np.where(rng.random(400) < 0.7, gold, rng.integers(0, 4, 400))
    low, high = bootstrap_ci(gold, pred, lambda g, p: float((g == p).mean()), n=500)
    assert low < (gold == pred).mean() < high and high - low < 0.15


def test_paired_tests():
    gold = np.array([0, 1, 2, 3] * 25)
    same = paired_bootstrap_pvalue(gold, gold, gold, lambda g, p: fast_macro_f1(g, p, 4), n=200)
    assert same == 1.0
    worse = gold.copy()
    worse[:30] = (worse[:30] + 1) % 4
    assert paired_bootstrap_pvalue(gold, worse, gold, lambda g, p: fast_macro_f1(g, p, 4), n=500) < 0.01
    b = gold.copy()
    a = gold.copy()
    a[:10] = (a[:10] + 1) % 4  # a wrong on 10 sentences b gets right, never the reverse
    assert mcnemar_pvalue(gold, a, b) == pytest.approx(2 * 0.5**10)
    assert mcnemar_pvalue(gold, a, a) == 1.0


@pytest.fixture(scope="module")
def report(trained_tiny, tmp_path_factory):
    model = shutil.copytree(trained_tiny[0], tmp_path_factory.mktemp("eval") / "model")
    out = model.parent / "report"
    # An over-confident temperature already in place: --calibrate replaces it since the fitted one lowers ECE.
    (model / "calibration.json").write_text('{"temperature": 0.05, "fitted_on": "a bad guess"}')
    return model, out, evaluate_model(model, out, calibrate=True, n_bootstrap=100)


def test_report_files_are_written(report):
    model, out, result = report
    for name in (
        "metrics.json",
        "predictions.jsonl",
        "confusion_matrix.png",
        "reliability.png",
        "report.md",
        "report.html",
    ):
        assert (out / name).is_file(), name
    for png in ("confusion_matrix.png", "reliability.png"):
        data = (out / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert not list(out.glob(".*tmp*")), "no temporary files left"
    lines = (out / "predictions.jsonl").read_text().splitlines()
    assert len(lines) == result["n"]
    first = json.loads(lines[0])
    assert {"text", "gold", "predicted", "scores", "domain", "difficulty"} <= set(first)
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["metrics"]["accuracy_ci95"][0] <= saved["metrics"]["accuracy"] <= saved["metrics"]["accuracy_ci95"][1]
    assert set(saved["breakdowns"]) == {"difficulty", "domain"}
    assert set(saved["breakdowns"]["difficulty"]) == {"easy", "hard"}
    assert set(saved["baselines"]) == {"majority class", "keyword rules", "TF-IDF + logistic regression"}
    assert np.array(saved["confusion_matrix"]).sum() == result["n"]


def test_html_report_is_self_contained(report):
    _, out, _ = report
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    assert not re.search(r"(src|href)=\"(?!data:)", page)
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page
    for section in (
        "Summary",
        "Per class",
        "Confusion matrix",
        "Calibration",
        "By difficulty",
        "Against baselines",
        "Most confident errors",
    ):
        assert section in page


def _lines(path) -> int:
    """Non-blank lines of a JSONL file: its sentence count."""
    with open(path, encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def test_calibration_is_stored_and_applied_by_inference(report):
    model, _, result = report
    assert result["calibration"]["written"] and result["calibration"]["temperature"] != 0.05
    validation = result["calibration"]["validation"]
    assert validation["ece_fitted"] < validation["ece_current"]
    assert validation["sentences"] == _lines(ROOT / "data" / "claims" / "validation.jsonl")
    calibration = json.loads((model / "calibration.json").read_text())
    assert calibration["temperature"] == pytest.approx(result["calibration"]["temperature"])
    clf = Classifier(model)
    texts = ["Le ministre dément les faits.", "Aucun risque pour la population, assure la préfète."]
    assert clf.predict_proba(texts) == pytest.approx(
        softmax(clf.predict_logits(texts), calibration["temperature"]), abs=1e-6
    )


def test_compare_reports(report, tmp_path):
    model, out, _ = report
    second = evaluate_model(model, tmp_path / "second", calibrate=False, n_bootstrap=50)
    table = compare_reports([out, tmp_path / "second"], n_bootstrap=100)
    assert table.count("\n") == 3 and str(tmp_path / "second") in table
    # Without --calibrate the report keeps the temperature inference applies: the one just fitted.
    assert second["calibration"]["temperature"] == pytest.approx(
        json.loads((model / "calibration.json").read_text())["temperature"]
    )
    # Same model, same sentences, same predictions: no difference and nothing significant.
    row = next(line for line in table.splitlines() if line.startswith(f"| {tmp_path / 'second'} "))
    delta, p_boot, p_mcnemar = [cell.strip() for cell in row.strip("|").split("|")][-3:]
    assert (delta, p_boot, p_mcnemar) == ("+0.000", "1.0000", "1.0000")


def test_compare_refuses_reports_on_different_data(report, tmp_path):
    model, out, _ = report
    evaluate_model(model, tmp_path / "val", split="validation", calibrate=False, n_bootstrap=20)
    with pytest.raises(ValueError, match="other sentences"):
        compare_reports([out, tmp_path / "val"])
