"""What predict writes and takes, what evaluate may change, and the readability of its reliability diagram."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from inference import Classifier, predict
from inference.labels import LABELS
from training.cli import main as claims
from training.evaluation.plots import reliability_figure
from training.evaluation.report import evaluate_model
from training.model import ModelUnavailableError, resolve_source

from .conftest import ROOT

TEXTS = ["Le maire dément les faits.", "Aucun risque pour la population.", "Le syndicat accuse la direction."]


@pytest.fixture()
def labelled_csv(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(
        "id;texte;label\n7;Le maire dément les faits.;denial\n8;Aucun risque pour la population.;reassurance\n",
        encoding="utf-8",
    )
    return path


def test_predict_output_csv_carries_columns_and_rounds_scores(tiny_model_dir, labelled_csv, tmp_path, capsys):
    out = tmp_path / "pred.csv"
    argv = ["predict", str(labelled_csv), "--model", str(tiny_model_dir), "--text-column", "texte", "-o", str(out)]
    assert claims(argv) == 0
    assert "input column 'label' is written as 'input_label'" in capsys.readouterr().err
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert list(rows[0]) == ["line", "id", "texte", "input_label", "label", "score", *(f"score_{x}" for x in LABELS)]
    assert [(r["id"], r["input_label"]) for r in rows] == [("7", "denial"), ("8", "reassurance")]
    expected = Classifier(tiny_model_dir).predict([r["texte"] for r in rows])
    for row, p in zip(rows, expected):
        assert row["label"] == p.label and float(row["score"]) == round(p.score, 4)
        assert all(len(row[f"score_{x}"].split(".")[-1]) <= 4 for x in LABELS)
    assert not list(tmp_path.glob(".pred.csv.tmp*"))


def test_predict_output_format_follows_the_extension(tiny_model_dir, labelled_csv, tmp_path, capsys):
    base = ["predict", str(labelled_csv), "--model", str(tiny_model_dir), "--text-column", "texte"]
    assert claims([*base, "-o", str(tmp_path / "pred.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert rows[0]["id"] == "7" and rows[0]["input_label"] == "denial" and set(rows[0]["scores"]) == set(LABELS)
    assert all(round(v, 4) == v for v in rows[0]["scores"].values())
    assert claims([*base, "-o", str(tmp_path / "pred.txt")]) == 2
    assert "unknown extension '.txt'; use .csv, .tsv or .jsonl" in capsys.readouterr().err
    assert not (tmp_path / "pred.txt").exists()


def test_predict_label_column_marks_each_prediction_correct_or_not(tiny_model_dir, labelled_csv, tmp_path, capsys):
    base = ["predict", str(labelled_csv), "--model", str(tiny_model_dir), "--text-column", "texte"]
    assert claims([*base, "--label-column", "label", "-o", str(tmp_path / "p.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [r["correct"] for r in rows] == [r["label"] == r["input_label"] for r in rows]
    assert claims([*base, "--label-column", "gold"]) == 2
    assert "missing column 'gold' (found ['id', 'label', 'texte'])" in capsys.readouterr().err


def test_input_format_replaces_format_which_still_works_with_a_warning(tiny_model_dir, tmp_path, capsys):
    source = tmp_path / "lines.dat"
    source.write_text("text\nUne phrase.\n", encoding="utf-8")
    assert claims(["predict", str(source), "--model", str(tiny_model_dir), "--input-format", "csv"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "Une phrase."
    with pytest.warns(UserWarning, match="--format is deprecated"):
        assert claims(["predict", str(source), "--model", str(tiny_model_dir), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert "use --input-format" in captured.err and json.loads(captured.out)["text"] == "Une phrase."


def test_predict_missing_column_lists_the_columns_found(tiny_model_dir, labelled_csv, capsys):
    assert claims(["predict", str(labelled_csv), "--model", str(tiny_model_dir)]) == 2
    err = capsys.readouterr().err
    assert f"{labelled_csv}:2: missing column 'text' (found ['id', 'label', 'texte'], delimiter ';')" in err


def test_document_mode_writes_one_csv_row_per_sentence(tiny_model_dir, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text("Le maire accuse l'usine. La direction dément. Une enquête est ouverte.", encoding="utf-8")
    out = tmp_path / "doc.csv"
    assert claims(["predict", str(article), "--document", "--model", str(tiny_model_dir), "-o", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["sentence"] for r in rows] == ["0", "1", "2"] and rows[1]["text"] == "La direction dément."


@pytest.mark.parametrize(
    "make",
    [np.array, pd.Series, tuple, lambda texts: (t for t in texts), lambda texts: pd.DataFrame({"p": texts})["p"]],
    ids=["numpy", "series", "tuple", "generator", "dataframe-column"],
)
def test_predict_accepts_any_ordered_iterable_of_strings(tiny_model_dir, make):
    expected = predict(TEXTS, model=tiny_model_dir)
    assert predict(make(TEXTS), model=tiny_model_dir) == expected


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (pd.Series(["ok", float("nan")]), r"texts\[1\] must be a string, got float: nan; drop missing values"),
        ({"a", "b"}, "got unordered set; pass a list"),
        ({"a": 1}, "got unordered dict"),
        (np.array([["a"], ["b"]]), r"texts\[0\] must be a string, got list"),
    ],
)
def test_predict_refuses_unordered_or_missing_values_with_a_hint(tiny_model_dir, texts, message):
    with pytest.raises(TypeError, match=message):
        predict(texts, model=tiny_model_dir)


def test_evaluate_never_changes_the_model_folder_without_calibrate(trained_tiny, tmp_path):
    model = shutil.copytree(trained_tiny[0], tmp_path / "model")
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in model.iterdir()}
    evaluate_model(model, tmp_path / "report", split="validation", n_bootstrap=10)
    assert {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in model.iterdir()} == before


def test_calibrate_writes_only_when_it_lowers_the_validation_ece(trained_tiny, tmp_path):
    model = shutil.copytree(trained_tiny[0], tmp_path / "model")
    (model / "calibration.json").write_text('{"temperature": 0.05}')
    first = evaluate_model(model, tmp_path / "r1", split="validation", calibrate=True, n_bootstrap=10)
    assert first["calibration"]["written"]
    stamp = (model / "calibration.json").stat().st_mtime_ns
    # Fitting again gives the temperature already in place: no lower ECE, so nothing is written.
    second = evaluate_model(model, tmp_path / "r2", split="validation", calibrate=True, n_bootstrap=10)
    assert not second["calibration"]["written"] and (model / "calibration.json").stat().st_mtime_ns == stamp
    v = second["calibration"]["validation"]
    assert v["ece_fitted"] >= v["ece_current"]


def test_calibrate_does_not_fit_a_temperature_on_too_few_sentences(trained_tiny, tmp_path, monkeypatch):
    import training.evaluation.report as report

    with (ROOT / "data" / "claims" / "validation.jsonl").open(encoding="utf-8") as handle:
        sentences = sum(1 for line in handle if line.strip())  # the tiny run's validation split
    monkeypatch.setattr(report, "MIN_CALIBRATION_SENTENCES", sentences + 1)
    model = shutil.copytree(trained_tiny[0], tmp_path / "model")
    (model / "calibration.json").write_text('{"temperature": 0.05}')
    result = evaluate_model(model, tmp_path / "r", split="validation", calibrate=True, n_bootstrap=10)
    assert not result["calibration"]["written"] and result["calibration"]["temperature"] == 0.05
    assert (
        result["calibration"]["not_written"]
        == f"{sentences} validation sentences are too few to choose a temperature (at least {sentences + 1})"
    )
    assert json.loads((model / "calibration.json").read_text()) == {"temperature": 0.05}


def test_evaluate_needs_data_or_split_for_a_model_not_trained_on_the_bundled_corpus(trained_tiny, tmp_path, capsys):
    model = shutil.copytree(trained_tiny[0], tmp_path / "model")
    (model / "run_config.yaml").unlink()
    assert claims(["evaluate", "--model", str(model), "--out", str(tmp_path / "r")]) == 2
    assert "has no run_config.yaml" in capsys.readouterr().err and not (tmp_path / "r").exists()
    test_file = str(ROOT / "data" / "claims" / "test.jsonl")
    assert claims(["evaluate", "--model", str(model), "--out", str(tmp_path / "r"), "--data", test_file]) == 0


def test_offline_error_suggests_hf_download(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError) as error:
        resolve_source("camembert-base")
    assert "hf download camembert-base" in str(error.value) and "huggingface-cli" not in str(error.value)
    with pytest.raises(ModelUnavailableError, match="outputs/claims-mini is made by bash scripts/quickstart.sh"):
        resolve_source("outputs/claims-mini-missing")


def test_reliability_diagram_shows_bin_counts_and_keeps_the_legend_off_the_points():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([1, 1, 1, 1], size=24)
    labels = rng.integers(0, 4, 24)
    fig = reliability_figure({"before": (probs, labels, 0.2), "after": (probs**0.5, labels, 0.1)})
    ax, counts_ax = fig.axes
    annotated = sorted(int(t.get_text()) for t in ax.texts)
    assert sum(annotated) == 48  # every sentence of both curves is counted next to a point
    assert sum(int(t.get_text()) for t in counts_ax.texts) == 48
    fig.canvas.draw()
    legend = fig.legends[0].get_window_extent()
    for axes in (ax, counts_ax):
        assert not legend.overlaps(axes.get_window_extent())
