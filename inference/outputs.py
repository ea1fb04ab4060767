"""What ``claims predict`` writes: JSON lines or CSV, chosen by the output file's extension, written atomically.

Scores are rounded to 4 decimals (more digits are noise for a calibrated probability). A file is written
under a temporary name and renamed when complete, so a failed run never leaves a half-written output.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

from .predictor import Prediction

SCORE_DIGITS = 4
OUTPUT_FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv"}
PREDICTION_FIELDS = ("label", "score", "scores")


def output_format(path: str | None) -> str:
    """``jsonl`` or ``csv`` from the extension of ``--output`` (stdout: ``jsonl``).

    Raises:
        ValueError: an extension that names neither.
    """
    if path is None:
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ValueError(f"--output {path}: unknown extension {suffix!r}; use .csv, .tsv or .jsonl")
    return OUTPUT_FORMATS[suffix]


def rounded(prediction: Prediction) -> dict:
    """``{"label", "score", "scores"}`` with scores rounded to ``SCORE_DIGITS`` decimals."""
    return {
        "label": prediction.label,
        "score": round(prediction.score, SCORE_DIGITS),
        "scores": {label: round(p, SCORE_DIGITS) for label, p in prediction.scores.items()},
    }


class RowWriter:
    """Writes records (dicts) as JSON lines or CSV to a file (atomically) or to stdout.

    CSV columns come from the first record; ``scores`` becomes one ``score_<label>`` column per label and
    other nested values are written as JSON.
    """

    def __init__(self, path: str | None, delimiter: str = ",") -> None:
        self.path = Path(path) if path else None
        self.format = output_format(path)
        if self.path is not None and self.path.suffix.lower() == ".tsv":
            delimiter = "\t"
        self.delimiter = delimiter
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}") if self.path else None
        self.handle = open(self.tmp, "w", encoding="utf-8", newline="") if self.tmp else sys.stdout  # noqa: SIM115
        self.columns: list[str] | None = None
        self.csv = None

    def write(self, record: dict) -> None:
        if self.format == "jsonl":
            self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            return
        flat = _flatten(record)
        if self.columns is None:
            self.columns = list(flat)
            self.csv = csv.DictWriter(self.handle, fieldnames=self.columns, delimiter=self.delimiter)
            self.csv.writeheader()
        extra = [key for key in flat if key not in self.columns]
        if extra:
            raise ValueError(
                f"CSV output: record {record.get('line', '?')} has column(s) {extra} that the first record did not "
                "have; a CSV has one header, so write .jsonl instead"
            )
        self.csv.writerow(flat)

    def flush(self) -> None:
        self.handle.flush()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.tmp is None:
            self.handle.flush()
            return
        self.handle.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def _flatten(record: dict) -> dict:
    flat = {}
    for key, value in record.items():
        if key == "scores" and isinstance(value, dict):
            flat.update({f"score_{label}": p for label, p in value.items()})
        elif isinstance(value, (dict, list)):
            flat[key] = json.dumps(value, ensure_ascii=False)
        else:
            flat[key] = value
    return flat
