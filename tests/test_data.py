import json

import pytest
from datasets import ClassLabel, DatasetDict

from inference.labels import LABELS
from training.config import DataConfig
from training.data import DataError, load_file, load_splits, read_rows


def test_bundled_splits_load_with_classlabel():
    splits = load_splits(DataConfig())
    assert isinstance(splits, DatasetDict)
    assert set(splits) == {"train", "validation", "test"}
    feature = splits["train"].features["label"]
    assert isinstance(feature, ClassLabel)
    assert feature.names == list(LABELS)
    assert set(splits["test"]["label"]) == set(range(len(LABELS)))


def test_user_csv_with_other_column_names(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("phrase,etiquette\nLe ministre dément.,denial\nIl n'y a aucun risque.,reassurance\n")
    ds = load_file(path, text_column="phrase", label_column="etiquette")
    assert ds["text"] == ["Le ministre dément.", "Il n'y a aucun risque."]
    assert ds["label"] == [LABELS.index("denial"), LABELS.index("reassurance")]


def test_user_jsonl_keeps_row_order(tmp_path):
    path = tmp_path / "mine.jsonl"
    rows = [{"text": f"Phrase numéro {i}.", "label": LABELS[i % 4]} for i in range(10)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    ds = load_file(path)
    assert ds["text"] == [r["text"] for r in rows]


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        (
            '{"text": "ok", "label": "denial"}\n{"text": "oups", "label": "denial"\n',
            ".jsonl",
            r"bad\.jsonl:2: invalid JSON",
        ),
        ('{"text": "ok", "label": "denial"}\n{"label": "denial"}\n', ".jsonl", r"bad\.jsonl:2: missing column 'text'"),
        ('{"text": "ok", "label": "denial"}\n{"text": "x"}\n', ".jsonl", r"bad\.jsonl:2: missing column 'label'"),
        ('{"text": "ok", "label": "menace"}\n', ".jsonl", r"bad\.jsonl:1: unknown label 'menace'.*expected one of"),
        ('{"text": "   ", "label": "denial"}\n', ".jsonl", r"bad\.jsonl:1: 'text' is empty"),
        ('{"text": 3, "label": "denial"}\n', ".jsonl", r"bad\.jsonl:1: 'text' must be a string"),
        ("[1, 2]\n", ".jsonl", r"bad\.jsonl:1: expected a JSON object"),
        ('{"text": "ok", "label": "denial"}\n\n', ".jsonl", r"bad\.jsonl:2: blank line"),
        ("text,label\nBonjour,neutral\nSalut,rumeur\n", ".csv", r"bad\.csv:3: unknown label 'rumeur'"),
        ("texte,label\nBonjour,neutral\n", ".csv", r"bad\.csv:2: missing column 'text'"),
        ("text,label\nBonjour,neutral,extra\n", ".csv", r"bad\.csv:2: more fields"),
        ("", ".jsonl", r"bad\.jsonl: no rows"),
    ],
)
def test_bad_files_name_file_line_and_field(tmp_path, content, suffix, message):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_rows(path)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text("x")
    with pytest.raises(DataError, match="unsupported file type"):
        read_rows(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="nowhere.jsonl"):
        read_rows("nowhere.jsonl")


def test_dataset_fingerprint_is_the_content_hash_without_pickling_the_table(monkeypatch):
    """datasets would pickle the Arrow table with dill to fingerprint it, which fails on some pyarrow/Python pairs."""
    import datasets.arrow_dataset

    from training.data import to_dataset

    def refuse(*_args, **_kwargs):
        raise AssertionError("the table was hashed")

    monkeypatch.setattr(datasets.arrow_dataset, "generate_fingerprint", refuse)
    rows = [{"text": "Le ministre dément.", "label": "denial"}, {"text": "La séance est levée.", "label": "neutral"}]
    first, again = to_dataset(rows, list(LABELS)), to_dataset([dict(r) for r in rows], list(LABELS))
    other = to_dataset([rows[0], {**rows[1], "label": "reassurance"}], list(LABELS))
    assert first._fingerprint == again._fingerprint != other._fingerprint
    assert first[0] == {"text": "Le ministre dément.", "label": LABELS.index("denial")}
    assert first.features["label"].names == list(LABELS)
    mapped = first.map(lambda batch: {"n": [len(t) for t in batch["text"]]}, batched=True)
    assert mapped["n"] == [19, 20] and mapped._fingerprint != first._fingerprint
