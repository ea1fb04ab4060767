"""A user's files: delimiter detection, every problem in one pass (claims check-data), the validation split, labels."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from training.cli import main as claims
from training.config import DataConfig, load_config
from training.corpus.user_data import check_files
from training.rows import DataError, read_rows
from training.splits import resolve_labels, stratified_split

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "own_data" / "phrases.csv"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.mark.parametrize(("delimiter", "suffix"), [(",", ".csv"), (";", ".csv"), ("\t", ".csv"), ("\t", ".tsv")])
def test_csv_delimiter_is_detected_from_the_header(tmp_path, delimiter, suffix):
    path = tmp_path / f"data{suffix}"
    path.write_text(f'phrase{delimiter}categorie\n"Le maire, ému, dément."{delimiter}denial\n', encoding="utf-8")
    rows = read_rows(path, "phrase", "categorie")
    assert rows == [{"phrase": "Le maire, ému, dément.", "categorie": "denial"}]


def test_delimiter_option_overrides_detection_and_a_wrong_one_names_the_columns_found(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("phrase;categorie\nLe maire dément;denial\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"missing column 'phrase' \(found \['phrase;categorie'\]\); delimiter ','"):
        read_rows(path, "phrase", "categorie", delimiter=",")
    assert read_rows(path, "phrase", "categorie", delimiter=";")[0]["phrase"] == "Le maire dément"
    assert claims(["check-data", str(path), "--text-column", "phrase", "--label-column", "categorie",
                   "--delimiter", "tab"]) == 1  # fmt: skip


def test_read_rows_counts_the_problems_after_the_first(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "", "label": "denial"}\n{"text": "ok", "label": "x"}\n[1]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:1: 'text' is empty \(and 2 more; `claims check-data"):
        read_rows(path)


def _bad_files(tmp_path):
    train = tmp_path / "train.csv"
    train.write_text(
        "phrase;categorie\n"
        "Le maire dément les faits.;denial\n"  # 2
        ";neutral\n"  # 3: empty text
        "Le maire  dément les faits.;accusation\n"  # 4: same sentence as 2, other label
        "Une rumeur court.;rumeur\n"  # 5: unknown label (with --labels)
        "Trop;de;champs\n"  # 6: more fields
        "La préfète rassure.;reassurance\n"  # 7
        "Le tribunal siège mardi.;neutral\n"  # 8
        "Une phrase très longue " + "avec beaucoup de mots " * 10 + ";neutral\n",  # 9: long
        encoding="utf-8",
    )
    validation = tmp_path / "validation.csv"
    validation.write_text("phrase;categorie\nLa préfète rassure.;reassurance\nUn autre texte.;menace\n", "utf-8")
    return train, validation


def test_check_data_reports_every_problem_in_one_pass(tmp_path):
    train, validation = _bad_files(tmp_path)
    labels = ["accusation", "denial", "reassurance", "neutral"]
    reports, errors, warnings = check_files(
        [str(train), str(validation)], "phrase", "categorie", labels=labels, max_length=24
    )
    joined = "\n".join(errors)
    assert f"{train}:3: 'phrase' is empty" in joined
    assert f"{train}:5: unknown label 'rumeur'" in joined
    assert f"{train}:6: more fields than the header has (3 vs 2, delimiter ';')" in joined
    assert f"{validation}:3: unknown label 'menace'" in joined
    text = "\n".join(warnings)
    assert f"{train}: lines 2, 4: the same sentence, with different labels ['accusation', 'denial']" in text
    assert f"1 sentence(s) of {validation} also occur in {train} ({validation}:2 = {train}:7)" in text
    assert "fewer than 10 examples" in text and "longer than max_length 24 tokens (estimated" in text
    assert reports[0].counts == {"denial": 1, "accusation": 1, "reassurance": 1, "neutral": 2}


def test_check_data_flags_labels_only_outside_training_and_case_variants(tmp_path):
    train = tmp_path / "t.csv"
    train.write_text("text,label\nA.,Denial\nB.,denial\nC.,neutral\n", encoding="utf-8")
    other = tmp_path / "v.csv"
    other.write_text("text,label\nD.,menace\n", encoding="utf-8")
    _, errors, warnings = check_files([str(train), str(other)])
    assert errors == [f"{other}: label 'menace' never occurs in the training file {train}"]
    assert any("['Denial', 'denial'] differ only by case" in w for w in warnings)


def test_check_data_counts_tokens_exactly_with_a_tokenizer(tiny_model_dir, capsys):
    argv = ["check-data", str(EXAMPLE), "--text-column", "phrase", "--label-column", "categorie"]
    assert claims([*argv, "--tokenizer", str(tiny_model_dir), "--max-length", "30"]) == 0
    out = capsys.readouterr().out
    assert f"counted with {tiny_model_dir / 'tokenizer.json'}" in out and "64 good rows" in out


def test_check_data_imports_neither_torch_nor_transformers():
    code = (
        "import sys; from training.cli import main; "
        f"code = main(['check-data', {str(EXAMPLE)!r}, '--text-column', 'phrase', '--label-column', 'categorie']); "
        "heavy = sorted(m for m in ('torch', 'transformers', 'datasets', 'sklearn') if m in sys.modules); "
        "print('HEAVY', heavy); sys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout and "ready to train" in result.stdout


def test_check_data_takes_files_and_columns_from_a_config(capsys):
    config = ROOT / "configs" / "own-data.yaml"
    assert claims(["check-data", "--config", str(config)]) == 0
    assert "examples/own_data/phrases.csv: 64 good rows" in capsys.readouterr().out


def test_validation_split_is_stratified_seeded_and_keeps_duplicates_together():
    rows = [{"text": f"phrase {i}", "label": "a" if i < 40 else "b"} for i in range(50)]
    rows.append({"text": "phrase 3", "label": "a"})  # a duplicate of row 3
    train, validation = stratified_split(rows, 0.2, seed=5)
    distinct = {(r["text"], r["label"]) for r in validation}
    assert sorted(label for _, label in distinct) == ["a"] * 8 + ["b"] * 2  # 20% of each label's sentences
    assert stratified_split(rows, 0.2, seed=5) == (train, validation)
    assert stratified_split(rows, 0.2, seed=6)[1] != validation
    assert not {r["text"] for r in train} & {r["text"] for r in validation}
    assert [r["text"] for r in train] == sorted(
        (r["text"] for r in train), key=lambda t: [r["text"] for r in rows].index(t)
    )
    with pytest.raises(DataError, match="too few rows to hold out"):
        stratified_split([{"text": "x", "label": "a"}, {"text": "y", "label": "b"}], 0.2, seed=1)


def test_validation_file_null_is_accepted_by_the_config():
    config = load_config(None, ["data.validation_file=null", "data.labels=[oui, non]"])
    assert config.data.validation_file is None and config.data.labels == ["oui", "non"]
    with pytest.raises(ValueError, match="data.labels must list at least two distinct labels"):
        DataConfig(labels=["oui", "oui"])
    with pytest.raises(ValueError, match="expected a list of non-empty strings"):
        load_config(None, ["data.labels=oui"])


def test_labels_default_to_the_claim_labels_present_else_the_data():
    rows = [{"label": label} for label in ("neutral", "denial", "neutral")]
    assert resolve_labels(None, rows, "f") == ("denial", "neutral")  # claim order, present ones only
    assert resolve_labels(None, [{"label": "oui"}, {"label": "non"}], "f") == ("non", "oui")
    assert resolve_labels(["neutral", "denial"], rows, "f") == ("neutral", "denial")
    with pytest.raises(DataError, match=r"data.labels lists \['accusation'\], which have no example in f"):
        resolve_labels(["neutral", "denial", "accusation"], rows, "f")
    with pytest.raises(DataError, match="needs at least two labels"):
        resolve_labels(None, [{"label": "neutral"}], "f")
