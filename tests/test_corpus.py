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
        "tranche": "base",
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


def test_tranches_events_and_dev_real_are_checked_across_files(tmp_path):
    """Real-event rows need an event in an even year, dev_real in an odd one, and no event is shared."""
    event = {"region": "france", "event": "2016: grève des contrôleurs aériens"}
    train = [
        _row(0, "g1", tranche="real-event", **event),
        _row(1, "g1", tranche="real-event", region="france", event="2015: une année impaire"),
        _row(2, "g1", tranche="real-event"),  # no event, no region
        _row(3, "g1", tranche="dev-real", **event),  # dev-real rows belong in dev_real.jsonl only
        _row(4, "g1", tranche="v2"),
    ]
    _write(tmp_path, "train", train)
    _write(tmp_path, "validation", [])
    _write(tmp_path, "test", [])
    dev = [
        _row(
            10,
            "d1",
            "Le syndicat des pilotes a dénoncé vendredi un mépris total de la direction.",
            tranche="dev-real",
            region="france",
            event="2016: Grève des contrôleurs aériens",
        ),
        _row(11, "d1", tranche="dev-real", region="france", event="2017: élection présidentielle"),
    ]
    _write(tmp_path, "dev_real", dev)
    rows, errors = read_corpus(tmp_path)
    errors += check_rows(rows)
    text = "\n".join(errors)
    train_file, dev_file = tmp_path / "train.jsonl", tmp_path / "dev_real.jsonl"
    assert f"{train_file}:2: real-event events must be in even years" in text
    assert f"{train_file}:3: real-event row needs string field(s) ['region', 'event']" in text
    assert f"{train_file}:4: tranche 'dev-real' does not belong in train.jsonl" in text
    assert f"{train_file}:5: tranche 'v2' not in" in text
    assert f"{dev_file}:1: dev-real events must be in odd years" in text
    assert (
        f"{dev_file}:1: event '2016: Grève des contrôleurs aériens' is also a training event ({train_file}:1)" in text
    )
    assert f"{dev_file}:2: near-duplicate of {train_file}:1" in text  # near-copies are caught across files
    assert "balance (dev_real): 2 sentences, need >= 600" in text
    assert "balance (real-event tranche): 3 sentences, need >= 4000" in text


def test_bundled_tranche_and_dev_real_meet_their_targets():
    rows, errors = read_corpus(DATA)
    assert not errors
    real = [r.data for r in rows if r.data["tranche"] == "real-event"]
    dev = [r.data for r in rows if r.split == "dev_real"]
    assert len(real) >= 4000 and len(dev) >= 600
    assert sum(r["domain"] in ("intl_conflict_diplomacy", "security_cyber") for r in real) / len(real) >= 0.4
    assert all(r["tranche"] == "dev-real" for r in dev)
    assert not {r["group"] for r in real} & {r["group"] for r in dev}


def test_second_real_event_tranche_is_training_data_only(tmp_path):
    """real-event-2 rows may sit in train only (validation and test stay comparable) and need an even-year event."""
    event = {"region": "belgium", "event": "2016: grève des contrôleurs aériens belges"}
    texts = [
        "Le syndicat a dénoncé jeudi la décision de la direction de geler les salaires.",
        "La direction a rejeté ces critiques, affirmant que les comptes ne permettaient rien d'autre.",
        "Le ministre de la Mobilité a assuré que les vols seraient maintenus pendant les vacances.",
    ]
    _write(tmp_path, "train", [
        _row(0, "g1", texts[0], tranche="real-event-2", **event),
        _row(1, "g1", texts[1], tranche="real-event-2", region="belgium", event="2017: une année impaire"),
    ])  # fmt: skip
    _write(tmp_path, "validation", [_row(2, "g2", texts[2], tranche="real-event-2", **event)])
    _write(tmp_path, "test", [])
    rows, errors = read_corpus(tmp_path)
    text = "\n".join(errors)
    train_file, val_file = tmp_path / "train.jsonl", tmp_path / "validation.jsonl"
    assert f"{train_file}:1" not in text
    assert f"{train_file}:2: real-event-2 events must be in even years" in text
    assert f"{val_file}:1: tranche 'real-event-2' does not belong in validation.jsonl" in text


def test_bundled_second_tranche_has_its_blind_review():
    rows, _ = read_corpus(DATA)
    second = {r.data["id"]: r.data for r in rows if r.data["tranche"] == "real-event-2"}
    review = [json.loads(line) for line in (DATA / "tranche2_review.jsonl").open(encoding="utf-8")]
    assert second and {r["id"] for r in review} == set(second)
    assert all(second[r["id"]]["label"] == r["final"] for r in review)
    assert all(r["first"] == r["second"] or r["reason"] for r in review)  # every disagreement says why
    assert all(r.split == "train" for r in rows if r.data["tranche"] == "real-event-2")
