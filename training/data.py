"""Load labelled sentences as ``datasets`` objects: the bundled corpus splits or a user's own CSV / JSONL file.

Files are read and checked line by line by ``training.rows`` before ``datasets`` sees them, so a bad row
fails with the file, line and field instead of a pyarrow traceback, and nothing is silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from inference.labels import LABELS

from .config import DataConfig
from .rows import DataError, read_rows
from .splits import RunRows, load_run_rows

__all__ = ["DataError", "load_file", "load_splits", "read_rows", "to_dataset"]


def to_dataset(rows: list[dict], labels: Sequence[str]) -> Dataset:
    """A ``Dataset`` of ``text`` and a ``ClassLabel`` ``label`` (ids in ``labels`` order) from normalised rows."""
    features = Features({"text": Value("string"), "label": ClassLabel(names=list(labels))})
    return Dataset.from_dict(
        {"text": [row["text"] for row in rows], "label": [labels.index(row["label"]) for row in rows]},
        features=features,
    )


def load_file(
    path: str | Path, text_column: str = "text", label_column: str = "label", labels: Sequence[str] = LABELS
) -> Dataset:
    """Load one validated file as a ``Dataset`` with ``text`` and a ``ClassLabel`` ``label`` column."""
    rows = read_rows(path, text_column, label_column, labels=labels)
    return to_dataset([{"text": r[text_column], "label": r[label_column]} for r in rows], labels)


def load_splits(config: DataConfig, seed: int = 42, run: RunRows | None = None) -> DatasetDict:
    """Train / validation (/ test) as a ``DatasetDict`` whose ``label`` feature names the run's labels."""
    run = run or load_run_rows(config, seed)
    return DatasetDict({name: to_dataset(rows, list(run.labels)) for name, rows in run.splits.items()})
