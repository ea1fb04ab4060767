"""Inputs of ``claims predict``: lines of text, JSON lines or CSV (delimiter detected), row by row.

Each record keeps every column, so the output can carry them; a bad row fails with the file and line.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from .tables import delimiter_name, detect_delimiter


def input_format(source: str, fmt: str | None) -> str:
    """The explicit format, else one guessed from the file extension (text for stdin)."""
    if fmt is not None:
        return fmt
    suffixes = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
    return suffixes.get(Path(source).suffix.lower(), "text")


def iter_inputs(
    source: str, fmt: str | None, text_column: str = "text", delimiter: str | None = None
) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)``; blank lines of a text file are skipped (they separate paragraphs)."""
    for number, text, _ in iter_records(source, fmt, text_column, delimiter):
        yield number, text


def iter_records(
    source: str, fmt: str | None, text_column: str = "text", delimiter: str | None = None
) -> Iterator[tuple[int, str, dict | None]]:
    """Yield ``(line_number, text, row)``: ``row`` holds every column of a JSONL/CSV record (None for text)."""
    fmt = input_format(source, fmt)
    if fmt == "parquet":
        raise ValueError(f"{source}: Parquet input is read in batch mode only; add --output-dir DIR")
    handle = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
    name = "<stdin>" if source == "-" else source
    lines = _decoded_lines(handle, name)
    try:
        if fmt == "text":
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield number, line.rstrip("\r\n"), None
        elif fmt == "jsonl":
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{name}:{number}: invalid JSON: {error.msg}") from None
                yield number, _text_field(row, text_column, name, number), row
        else:
            yield from _csv_records(lines, name, text_column, delimiter)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def csv_delimiter(source: str, fmt: str | None, delimiter: str | None) -> str:
    """The delimiter of a CSV input (given, else detected from its header); ``,`` for anything else."""
    if delimiter or input_format(source, fmt) != "csv" or source == "-":
        return delimiter or ","
    with open(source, "rb") as handle:
        return detect_delimiter(handle.readline().decode("utf-8-sig", errors="replace"), Path(source).suffix)


def _csv_records(lines: Iterator[str], name: str, text_column: str, delimiter: str | None):
    first = next(lines, None)
    if first is None:
        return
    delimiter = delimiter or detect_delimiter(first, Path(name).suffix)

    def chained():
        yield first
        yield from lines

    reader = csv.DictReader(chained(), delimiter=delimiter)
    for row in reader:
        if None in row or None in row.values():
            raise ValueError(
                f"{name}:{reader.line_num}: the row does not have the header's {len(reader.fieldnames)} fields "
                f"(delimiter {delimiter_name(delimiter)}); quote fields that contain the delimiter, or use --delimiter"
            )
        yield reader.line_num, _text_field(row, text_column, name, reader.line_num, delimiter), row


def _decoded_lines(handle, name: str) -> Iterator[str]:
    """Lines decoded as UTF-8 (a BOM is dropped); invalid bytes raise ``ValueError`` naming file and line."""
    for number, raw in enumerate(handle, 1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"{name}:{number}: not valid UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1}); "
                "re-save the file as UTF-8"
            ) from None
        yield line


def _text_field(row, column: str, name: str, number: int, delimiter: str | None = None) -> str:
    if not isinstance(row, dict):
        raise ValueError(f"{name}:{number}: expected a JSON object, got {type(row).__name__}")
    if column not in row:
        how = f", delimiter {delimiter_name(delimiter)}" if delimiter else ""
        raise ValueError(
            f"{name}:{number}: missing column {column!r} (found {sorted(row)}{how}); --text-column names another"
        )
    text = row[column]
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name}:{number}: {column!r} must be a non-empty string")
    return text
