"""Load labelled sentences: the bundled corpus splits or a user's own CSV / JSONL file.

Every file is checked line by line before ``datasets`` reads it, so a bad row fails with the
file, line and field instead of a pyarrow traceback, and nothing is silently dropped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict, load_dataset

from inference.labels import LABELS

from .config import DataConfig


class DataError(ValueError):
    """A data file is malformed; the message names the file, line and field."""


def read_rows(
    path: str | Path,
    text_column: str = "text",
    label_column: str | None = "label",
    labels: Sequence[str] = LABELS,
) -> list[dict]:
    """Read and validate a JSONL or CSV file of labelled sentences.

    Args:
        path: a ``.jsonl``/``.json`` file (one object per line) or a ``.csv`` file with a header.
        text_column: column holding the sentence.
        label_column: column holding the label name; ``None`` for unlabelled input.
        labels: the allowed label names.

    Returns:
        One dict per row, in file order, with every column of the file.

    Raises:
        FileNotFoundError: the file does not exist.
        DataError: broken JSON, missing column, empty text or unknown label (file:line: field).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    rows = list(_iter_raw_rows(path))
    if not rows:
        raise DataError(f"{path}: no rows found")
    allowed = set(labels)
    for line, row in rows:
        if text_column not in row:
            raise DataError(f"{path}:{line}: missing column {text_column!r} (found {sorted(row)})")
        text = row[text_column]
        if not isinstance(text, str):
            raise DataError(f"{path}:{line}: {text_column!r} must be a string, got {type(text).__name__}")
        if not text.strip():
            raise DataError(f"{path}:{line}: {text_column!r} is empty")
        if label_column is None:
            continue
        if label_column not in row:
            raise DataError(f"{path}:{line}: missing column {label_column!r} (found {sorted(row)})")
        if row[label_column] not in allowed:
            raise DataError(
                f"{path}:{line}: unknown label {row[label_column]!r} in column {label_column!r}; "
                f"expected one of {list(labels)}"
            )
    return [row for _, row in rows]


def _decoded_lines(path: Path):
    """Yield ``(line_number, text)``, failing on the first line that is not valid UTF-8."""
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, 1):
            try:
                yield line_number, raw.decode("utf-8-sig" if line_number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise DataError(
                    f"{path}:{line_number}: not valid UTF-8 ({error.reason} at byte {error.start})"
                ) from None


def _iter_raw_rows(path: Path):
    """Yield ``(line_number, row_dict)`` for a JSONL or CSV file."""
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".json", ".ndjson"}:
        for line_number, line in _decoded_lines(path):
            if not line.strip():
                raise DataError(f"{path}:{line_number}: blank line (one JSON object per line expected)")
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}:{line_number}: invalid JSON: {error.msg} (column {error.colno})") from None
            except RecursionError:
                raise DataError(f"{path}:{line_number}: invalid JSON: nested too deeply") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{line_number}: expected a JSON object, got {type(row).__name__}")
            yield line_number, row
    elif suffix in {".csv", ".tsv"}:
        reader = csv.DictReader(
            (line for _, line in _decoded_lines(path)), delimiter="\t" if suffix == ".tsv" else ","
        )
        try:
            for row in reader:
                if None in row:
                    raise DataError(f"{path}:{reader.line_num}: more fields than the header has")
                yield reader.line_num, row
        except csv.Error as error:
            raise DataError(f"{path}:{reader.line_num}: malformed CSV ({error})") from None
    else:
        raise DataError(f"{path}: unsupported file type {suffix!r}; use .jsonl or .csv")


def load_file(path: str | Path, text_column: str = "text", label_column: str = "label") -> Dataset:
    """Load one validated file as a ``Dataset`` with ``text`` and a ``ClassLabel`` ``label`` column."""
    rows = read_rows(path, text_column, label_column)
    dataset = Dataset.from_list(rows) if Path(path).suffix.lower() in {".csv", ".tsv"} else None
    if dataset is None:
        dataset = load_dataset("json", data_files=str(path), split="train")
    if text_column != "text":
        dataset = dataset.rename_column(text_column, "text")
    if label_column != "label":
        dataset = dataset.rename_column(label_column, "label")
    return dataset.cast_column("label", ClassLabel(names=list(LABELS)))


def load_splits(config: DataConfig) -> DatasetDict:
    """Load train / validation (/ test) as a ``DatasetDict`` with a ``ClassLabel`` label feature."""
    files = {"train": config.train_file, "validation": config.validation_file}
    if config.test_file:
        files["test"] = config.test_file
    if config.dev_file:
        files["dev"] = config.dev_file
    splits = {name: load_file(path, config.text_column, config.label_column) for name, path in files.items()}
    if config.max_train_samples:
        splits["train"] = splits["train"].select(range(min(config.max_train_samples, len(splits["train"]))))
    return DatasetDict(splits)
