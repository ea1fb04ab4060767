"""Load labelled sentences as ``datasets`` objects: the bundled corpus splits or a user's own CSV / JSONL file.

Files are read and checked line by line by ``training.rows`` before ``datasets`` sees them, so a bad row
fails with the file, line and field instead of a pyarrow traceback, and nothing is silently dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
from datasets import ClassLabel, Dataset, DatasetDict, DatasetInfo, Features, Value
from datasets.table import InMemoryTable

from inference.labels import LABELS

from .config import DataConfig
from .rows import DataError, read_rows
from .splits import RunRows, load_run_rows

__all__ = ["DataError", "load_file", "load_splits", "read_rows", "to_dataset"]


def to_dataset(rows: list[dict], labels: Sequence[str]) -> Dataset:
    """A ``Dataset`` of ``text`` and a ``ClassLabel`` ``label`` (ids in ``labels`` order) from normalised rows."""
    features = Features({"text": Value("string"), "label": ClassLabel(names=list(labels))})
    texts, ids = [row["text"] for row in rows], [list(labels).index(row["label"]) for row in rows]
    table = pa.Table.from_pydict({"text": texts, "label": ids}, schema=features.arrow_schema)
    # The fingerprint is the content's hash, computed here: datasets would otherwise pickle the Arrow table with
    # dill to make one, which fails on some pyarrow/Python pairs (PicklingError on pyarrow's MonthDayNano type).
    digest = hashlib.sha256(json.dumps([texts, ids, list(labels)], ensure_ascii=False).encode()).hexdigest()
    return Dataset(InMemoryTable(table), info=DatasetInfo(features=features), fingerprint=digest[:16])


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
