"""predict_document() and the `claims predict` command on files and stdin."""

import json
import subprocess
import sys

import pytest

from inference import Classifier, predict, predict_document
from inference.labels import LABELS

from .conftest import ROOT

ARTICLE = (
    "Le syndicat accuse la direction d'avoir caché l'accident. « C'est faux », répond M. Durand.\n\n"
    "La préfecture assure qu'il n'y a aucun risque. Une enquête a été ouverte mardi."
)


def _env(model_dir):
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMS_MODEL": str(model_dir), "HF_HUB_OFFLINE": "1"}


def test_document_sentences_have_offsets_predictions_and_counts(tiny_model_dir):
    doc = predict_document(ARTICLE, model=tiny_model_dir)
    assert len(doc.sentences) == 4
    for s in doc.sentences:
        assert ARTICLE[s.start : s.end] == s.text
        assert s.prediction.label in LABELS
    assert sum(doc.counts.values()) == 4 and set(doc.counts) == set(LABELS)
    as_dict = doc.to_dict()
    assert as_dict["sentences"][1]["text"] == "« C'est faux », répond M. Durand."
    assert {"start", "end", "label", "score", "scores"} <= set(as_dict["sentences"][0])
    assert sum(len(doc.by_label(label)) for label in LABELS) == 4


def test_document_labels_match_sentence_predictions(tiny_model_dir):
    clf = Classifier(tiny_model_dir)
    doc = clf.predict_document(ARTICLE)
    assert [s.prediction.label for s in doc.sentences] == [
        p.label for p in clf.predict([s.text for s in doc.sentences])
    ]


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_document_raises_like_predict(tiny_model_dir, text):
    with pytest.raises(ValueError, match="document is empty or blank"):
        predict_document(text, model=tiny_model_dir)
    with pytest.raises(ValueError, match="empty or blank"):
        predict(text, model=tiny_model_dir)


def test_document_rejects_non_strings(tiny_model_dir):
    with pytest.raises(TypeError, match="document must be a string"):
        predict_document(["a list"], model=tiny_model_dir)


def _run(args, model_dir, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "training.cli", "predict", *args],
        cwd=ROOT,
        env=_env(model_dir),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_reads_a_text_file_and_streams_jsonl(tiny_model_dir, tmp_path):
    source = tmp_path / "lines.txt"
    source.write_text("Première phrase du fichier.\n\nDeuxième phrase, après une ligne vide.\n", encoding="utf-8")
    result = _run([str(source)], tiny_model_dir)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 3]
    assert rows[1]["text"] == "Deuxième phrase, après une ligne vide."
    assert all(r["label"] in LABELS and abs(sum(r["scores"].values()) - 1) < 1e-4 for r in rows)


def test_cli_reads_stdin(tiny_model_dir):
    result = _run(["-"], tiny_model_dir, stdin="Une phrase lue sur l'entrée standard.\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["text"] == "Une phrase lue sur l'entrée standard."


def test_cli_reads_jsonl_and_csv_text_columns(tiny_model_dir, tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"text": "Phrase JSON.", "id": 7}) + "\n", encoding="utf-8")
    csv_file = tmp_path / "in.csv"
    csv_file.write_text('id,text\n1,"Phrase CSV, avec virgule."\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    from_jsonl = _run([str(jsonl)], tiny_model_dir)
    assert from_jsonl.returncode == 0, from_jsonl.stderr
    row = json.loads(from_jsonl.stdout)
    assert (row["line"], row["text"]) == (1, "Phrase JSON.")
    assert row["label"] == Classifier(tiny_model_dir).predict("Phrase JSON.").label
    assert sum(row["scores"].values()) == pytest.approx(1.0, abs=1e-4)
    result = _run([str(csv_file), "--output", str(out)], tiny_model_dir)
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["text"] == "Phrase CSV, avec virgule."


def test_cli_document_mode_on_a_text_file(tiny_model_dir, tmp_path):
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    result = _run([str(article), "--document"], tiny_model_dir)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert len(doc["sentences"]) == 4 and sum(doc["counts"].values()) == 4


def test_cli_bad_input_names_file_and_line(tiny_model_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"texte": "oups"}\n', encoding="utf-8")
    result = _run([str(bad)], tiny_model_dir)
    assert result.returncode == 2
    assert f"{bad}:2: missing column 'text'" in result.stderr


def test_cli_missing_model_is_explained(tmp_path):
    result = _run(["-"], tmp_path / "nowhere", stdin="x\n")
    assert result.returncode == 2 and "model directory not found" in result.stderr
