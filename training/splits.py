"""The sentences of one run: train / validation / test rows and the label set, from a ``DataConfig``.

Training and ``claims evaluate`` both call ``load_run_rows``, so a validation split held out of the training
file (stratified by label, seeded) is the same split in both, and the label set is resolved once: the
config's ``data.labels``, else the claim labels found in the training file, else every label found there.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from inference.labels import LABELS
from inference.tables import parse_delimiter

from .config import DataConfig
from .rows import DataError, read_rows

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "data" / "claims"
BUNDLED_TRAIN = BUNDLED_DIR / "train.jsonl"


@dataclass
class RunRows:
    """Rows per split (each with ``text`` and ``label`` keys, plus the file's other columns) and the labels."""

    splits: dict[str, list[dict]]
    labels: tuple[str, ...]
    notes: list[str] = field(default_factory=list)  # what was decided from the data, for the log and the card


def load_run_rows(data: DataConfig, seed: int) -> RunRows:
    """Read, validate and split the run's files.

    Raises:
        FileNotFoundError: a named file does not exist.
        DataError: a bad row (file:line: field), a label set that does not fit the data, or too few rows to
            hold out a validation split.
    """
    delimiter = parse_delimiter(data.delimiter)
    columns = (data.text_column, data.label_column)
    train = _normalised(read_rows(data.train_file, *columns, labels=data.labels, delimiter=delimiter), columns)
    labels = resolve_labels(data.labels, train, data.train_file)
    notes = []
    if data.labels is None and not set(labels) <= set(LABELS):
        notes.append(f"labels taken from {data.train_file}: {list(labels)} (data.labels sets them explicitly)")
    if data.validation_file:
        rows = read_rows(data.validation_file, *columns, labels=labels, delimiter=delimiter)
        validation = _normalised(rows, columns)
    else:
        split_seed = seed if data.split_seed is None else data.split_seed
        train, validation = stratified_split(train, data.validation_fraction, split_seed, data.train_file)
        notes.append(
            f"validation: {len(validation)} sentences held out of {data.train_file} "
            f"({data.validation_fraction:.0%} of each label, seed {split_seed})"
        )
    if data.mix_bundled:
        bundled = _bundled_rows(labels)
        notes.append(f"training split: {len(train)} sentences of {data.train_file} + {len(bundled)} bundled")
        train = train + bundled
    if data.max_train_samples:
        train = train[: data.max_train_samples]
    splits = {"train": train, "validation": validation}
    if data.test_file:
        splits["test"] = _normalised(read_rows(data.test_file, *columns, labels=labels, delimiter=delimiter), columns)
    if data.dev_file:  # the real-style development set: scored after training, never trained on
        splits["dev"] = _normalised(read_rows(data.dev_file, *columns, labels=labels, delimiter=delimiter), columns)
    return RunRows(splits, labels, notes)


def resolve_labels(explicit: list[str] | None, train: list[dict], where: str) -> tuple[str, ...]:
    """The run's label set, in class-id order (see the module docstring).

    Raises:
        DataError: an explicit label without a training example, or fewer than two labels.
    """
    counts = Counter(row["label"] for row in train)
    if explicit is not None:
        missing = [label for label in explicit if not counts[label]]
        if missing:
            raise DataError(
                f"data.labels lists {missing}, which have no example in {where}; remove them from data.labels "
                "or add examples (a class without training examples cannot be learnt)"
            )
        return tuple(explicit)
    present = set(counts)
    labels = tuple(label for label in LABELS if label in present) if present <= set(LABELS) else tuple(sorted(present))
    if len(labels) < 2:
        raise DataError(f"{where}: every row has the label {labels[0]!r}; a classifier needs at least two labels")
    return labels


def stratified_split(
    rows: list[dict], fraction: float, seed: int, where: str = "train_file"
) -> tuple[list[dict], list[dict]]:
    """Hold out ``fraction`` of each label's rows (at least one when a label has two or more), file order kept.

    Identical sentences stay on one side, so validation never scores a sentence seen in training.

    Raises:
        DataError: no label has two or more distinct sentences.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[row["text"].strip()].append(i)
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, members in groups.items():
        by_label[rows[members[0]]["label"]].append(text)
    rng = random.Random(seed)
    held_out: set[int] = set()
    for label in sorted(by_label):
        texts = by_label[label]
        if len(texts) < 2:
            continue
        count = min(max(1, round(len(texts) * fraction)), len(texts) - 1)
        for text in rng.sample(texts, count):
            held_out.update(groups[text])
    if not held_out:
        raise DataError(
            f"{where}: too few rows to hold out a validation split (no label has two distinct sentences); "
            "give data.validation_file"
        )
    train = [row for i, row in enumerate(rows) if i not in held_out]
    return train, [row for i, row in enumerate(rows) if i in held_out]


def is_bundled(path: str | Path | None) -> bool:
    """True when ``path`` is the bundled corpus's file of the same name."""
    if not path:
        return False
    path = Path(path)
    return path.is_file() and path.resolve() == (BUNDLED_DIR / path.name).resolve()


def _normalised(rows: list[dict], columns: tuple[str, str]) -> list[dict]:
    text_column, label_column = columns
    return [{**row, "text": row[text_column], "label": row[label_column]} for row in rows]


def _bundled_rows(labels: tuple[str, ...]) -> list[dict]:
    other = [label for label in labels if label not in LABELS]
    if other:
        raise DataError(
            f"data.mix_bundled adds the bundled corpus, whose labels are {list(LABELS)}; this run's labels "
            f"{other} are not among them"
        )
    return [{"text": row["text"], "label": row["label"]} for row in read_rows(BUNDLED_TRAIN) if row["label"] in labels]
