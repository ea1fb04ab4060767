"""The corpus validator on the bundled data and on deliberately broken copies."""

import json
import shutil
from pathlib import Path

import pytest

from training.corpus.checks import check_rows, keyword_baseline_accuracy, read_corpus, run_validation
from training.evaluation.keyword_rules import keyword_label

DATA = Path(__file__).resolve().parents[1] / "data" / "claims"


def test_bundled_corpus_is_valid(capsys):
    assert run_validation(DATA) == 0
    out = capsys.readouterr().out
    assert "Keyword-rule baseline accuracy on test" in out and "Cohen's kappa" in out


def test_keyword_baseline_is_far_from_solving_the_corpus():
    rows, _ = read_corpus(DATA)
    assert keyword_baseline_accuracy(rows) < 0.8


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Le ministère dément toute implication.", "denial"),
        ("L'opposition accuse le maire de favoritisme.", "accusation"),
        ("Il n'y a aucun risque pour la population.", "reassurance"),
        ("Le procès s'ouvrira lundi.", "neutral"),
    ],
)
def test_keyword_rules(text, label):
    assert keyword_label(text) == label


def _write(directory: Path, split: str, rows: list) -> None:
    with (directory / f"{split}.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")


def _row(i, group, text=None, **overrides):
    row = {
        "id": f"x-{i}",
        "text": text or f"Phrase de test numéro {i} avec assez de mots pour passer.",
        "label": "neutral",
        "group": group,
        "domain": "d",
        "difficulty": "easy",
    }
    row.update(overrides)
    return row


def test_broken_files_are_reported_with_file_and_line(tmp_path):
    distinct = [
        "Le conseil municipal votera le budget annexe des transports mardi soir.",
        "Selon la préfecture, les routes resteront ouvertes pendant toute la durée des travaux.",
        "La fédération publiera son calendrier définitif à la fin du mois prochain.",
        "Un rapport parlementaire sur les hôpitaux ruraux est attendu avant l'été.",
        "Les négociations salariales reprendront jeudi au siège du groupe industriel.",
    ]
    train = [_row(i, "g1", t) for i, t in enumerate(distinct)]
    train.append(_row(5, "g1", label="rumeur"))  # line 6: bad label
    train.append('{"id": "x-6", "text": ')  # line 7: broken JSON
    train.append(_row(0, "g2", "Trop court ici."))  # line 8: duplicate id, too short
    _write(tmp_path, "train", train)
    _write(tmp_path, "validation", [_row(10, "g1", distinct[0] + " Encore.")])  # leak + near-duplicate
    _write(tmp_path, "test", [_row(11, "g3", difficulty="medium")])
    rows, errors = read_corpus(tmp_path)
    errors += check_rows(rows)
    text = "\n".join(errors)
    train_file, val_file = tmp_path / "train.jsonl", tmp_path / "validation.jsonl"
    assert f"{train_file}:6: label 'rumeur'" in text
    assert f"{train_file}:7: invalid JSON" in text
    assert f"{train_file}:8: duplicate id 'x-0'" in text
    assert f"{train_file}:8: length outlier, 3 words" in text
    assert f"{val_file}:1: group 'g1' leaks across splits" in text
    assert f"{val_file}:1: near-duplicate of {train_file}:1" in text
    assert "difficulty 'medium'" in text
    assert "balance: " in text  # a 9-row corpus misses every size target


def test_repeated_openings_are_reported(tmp_path):
    rows = [
        _row(i, f"g{i // 6}", f"Le ministre a déclaré que la réforme numéro {i} avancerait vite, {'x' * i}.")
        for i in range(12)
    ]
    _write(tmp_path, "train", rows)
    _write(tmp_path, "validation", [])
    _write(tmp_path, "test", [])
    parsed, _ = read_corpus(tmp_path)
    assert any("opening 'le ministre a' starts 12 sentences" in e for e in check_rows(parsed))


def test_stale_data_card_fails_validation(tmp_path):
    copy = tmp_path / "claims"
    shutil.copytree(DATA, copy)
    card = copy / "DATACARD.md"
    card.write_text(card.read_text().replace("| train |", "| trian |", 1))
    assert run_validation(copy) == 1
    assert run_validation(copy, update_card=True) == 0
    assert run_validation(copy) == 0
