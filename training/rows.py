"""Read labelled sentences from a JSONL or CSV file, line by line, without heavy imports.

Every problem is named with the file, line and field, and all of a file's problems are found in one pass:
``read_rows`` raises on the first and counts the rest, ``claims check-data`` lists them all. CSV files
may use ``,``, ``;`` or tab; the delimiter is detected from the header unless given.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from inference.labels import LABELS
from inference.tables import delimiter_name, detect_delimiter

JSON_SUFFIXES = {".jsonl", ".json", ".ndjson"}
CSV_SUFFIXES = {".csv", ".tsv"}


class DataError(ValueError):
    """A data file is malformed; the message names the file, line and field."""


def iter_records(path: str | Path, delimiter: str | None = None) -> Iterator[tuple[int, dict | None, str | None]]:
    """Yield ``(line, row, None)`` per record, or ``(line, None, problem)`` for one that cannot be read.

    Raises:
        FileNotFoundError: the file does not exist.
        DataError: the file type is not supported.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        yield from _json_records(path)
    elif suffix in CSV_SUFFIXES:
        yield from _csv_records(path, delimiter)
    else:
        raise DataError(f"{path}: unsupported file type {suffix!r}; use .jsonl or .csv (.tsv)")


def row_problems(
    row: dict,
    text_column: str,
    label_column: str | None,
    labels: Sequence[str] | None,
    columns_hint: str = "",
) -> list[str]:
    """What is wrong with one row (missing column, non-string or empty text, unknown label); [] when fine."""
    problems = []
    if text_column not in row:
        problems.append(f"missing column {text_column!r} (found {sorted(row)}){columns_hint}")
    elif not isinstance(row[text_column], str):
        problems.append(f"{text_column!r} must be a string, got {type(row[text_column]).__name__}")
    elif not row[text_column].strip():
        problems.append(f"{text_column!r} is empty")
    if label_column is None:
        return problems
    if label_column not in row:
        problems.append(f"missing column {label_column!r} (found {sorted(row)}){columns_hint}")
    elif not isinstance(row[label_column], str) or not row[label_column].strip():
        problems.append(f"{label_column!r} is empty or not a string: {row[label_column]!r}")
    elif labels is not None and row[label_column] not in labels:
        problems.append(
            f"unknown label {row[label_column]!r} in column {label_column!r}; expected one of {list(labels)}"
        )
    return problems


def read_rows(
    path: str | Path,
    text_column: str = "text",
    label_column: str | None = "label",
    labels: Sequence[str] | None = LABELS,
    delimiter: str | None = None,
) -> list[dict]:
    """Read and validate a JSONL or CSV file of labelled sentences.

    Args:
        path: a ``.jsonl`` file (one object per line) or a ``.csv``/``.tsv`` file with a header.
        text_column: column holding the sentence.
        label_column: column holding the label name; ``None`` for unlabelled input.
        labels: the allowed label names; ``None`` accepts any non-empty label.
        delimiter: CSV delimiter; ``None`` detects ``,`` ``;`` or tab from the header.

    Returns:
        One dict per row, in file order, with every column of the file.

    Raises:
        FileNotFoundError: the file does not exist.
        DataError: the first problem (file:line: field), with how many more the file has.
    """
    rows, problems = [], []
    hint = _columns_hint(path, delimiter)
    for line, row, problem in iter_records(path, delimiter):
        found = [problem] if problem else row_problems(row, text_column, label_column, labels, hint)
        problems += [f"{path}:{line}: {p}" for p in found]
        if row is not None:
            rows.append(row)
    if problems:
        more = (
            f" (and {len(problems) - 1} more; `claims check-data {path}` lists them all)" if len(problems) > 1 else ""
        )
        raise DataError(problems[0] + more)
    if not rows:
        raise DataError(f"{path}: no rows found")
    return rows


def _columns_hint(path: str | Path, delimiter: str | None) -> str:
    """For a CSV, which delimiter was used: a wrong one shows up as a single merged column."""
    path = Path(path)
    if path.suffix.lower() not in CSV_SUFFIXES or not path.is_file():
        return ""
    used = delimiter or detect_delimiter(_first_line(path), path.suffix)
    how = "given" if delimiter else "detected"
    return f"; delimiter {delimiter_name(used)} {how}, --delimiter chooses another"


def _first_line(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.readline().decode("utf-8-sig", errors="replace")


def _decoded_lines(path: Path, problems: list[tuple[int, str]]) -> Iterator[str]:
    """Lines as text; a line that is not valid UTF-8 is recorded in ``problems`` and decoded with U+FFFD."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            encoding = "utf-8-sig" if number == 1 else "utf-8"
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError as error:
                problems.append((number, f"not valid UTF-8 ({error.reason} at byte {error.start})"))
                yield raw.decode(encoding, errors="replace")


def _json_records(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    bad_bytes: list[tuple[int, str]] = []
    for number, line in enumerate(_decoded_lines(path, bad_bytes), 1):
        if bad_bytes and bad_bytes[-1][0] == number:
            yield number, None, bad_bytes[-1][1]
            continue
        if not line.strip():
            yield number, None, "blank line (one JSON object per line expected)"
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, None, f"invalid JSON: {error.msg} (column {error.colno})"
            continue
        except RecursionError:
            yield number, None, "invalid JSON: nested too deeply"
            continue
        if not isinstance(row, dict):
            yield number, None, f"expected a JSON object, got {type(row).__name__}"
            continue
        yield number, row, None


def _csv_records(path: Path, delimiter: str | None) -> Iterator[tuple[int, dict | None, str | None]]:
    bad_bytes: list[tuple[int, str]] = []
    lines = _decoded_lines(path, bad_bytes)
    first = next(lines, None)
    if first is None:
        return
    delimiter = delimiter or detect_delimiter(first, path.suffix)
    reader = csv.reader(_chain(first, lines), delimiter=delimiter)
    reported = 0
    try:
        header = next(reader)
        duplicated = sorted({name for name in header if header.count(name) > 1})
        if duplicated:
            yield 1, None, f"column(s) {duplicated} appear more than once in the header"
            return
        for fields in reader:
            while reported < len(bad_bytes):
                yield bad_bytes[reported][0], None, bad_bytes[reported][1]
                reported += 1
            if not fields:
                continue  # a blank line is not a record
            if len(fields) != len(header):
                more_or_fewer = "more" if len(fields) > len(header) else "fewer"
                yield (
                    reader.line_num,
                    None,
                    (
                        f"{more_or_fewer} fields than the header has ({len(fields)} vs {len(header)}, "
                        f"delimiter {delimiter_name(delimiter)}); quote fields that contain the delimiter"
                    ),
                )
                continue
            yield reader.line_num, dict(zip(header, fields)), None
    except csv.Error as error:
        yield reader.line_num, None, f"malformed CSV ({error})"
    for number, problem in bad_bytes[reported:]:
        yield number, None, problem


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
