"""``claims check-data``: every problem of a user's labelled files in one pass, in well under a second.

Errors are what would make training refuse a file (unreadable rows, missing columns, empty texts, unknown
labels, a label that only occurs outside the training file); warnings are what trains but misleads
(duplicates, overlap between files, imbalance, tiny classes, sentences longer than ``max_length``). Nothing
here imports torch or transformers; token counts come from a model folder's ``tokenizer.json`` through the
``tokenizers`` library when ``--tokenizer`` is given, else from an estimate of two tokens per word.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from inference.labels import LABELS
from inference.tables import delimiter_name, detect_delimiter, parse_delimiter

from ..config import load_config
from ..rows import CSV_SUFFIXES, iter_records, row_problems

TOKENS_PER_WORD = 2.0  # estimate without a tokenizer: the mini tokenizer takes 1.5-1.9 pieces per French word
MIN_PER_LABEL = 10  # fewer training examples of a label than this cannot be learnt, let alone validated
IMBALANCE_RATIO = 5.0  # largest / smallest class count in the training file
_HINT = "; --text-column / --label-column name other columns"


@dataclass
class FileReport:
    """What one file holds: rows (line, text, label), label counts, how it was read."""

    path: str
    how: str
    rows: list[tuple[int, str, str | None]] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


def check_files(
    files: list[str],
    text_column: str = "text",
    label_column: str = "label",
    labels: list[str] | None = None,
    delimiter: str | None = None,
    max_length: int = 128,
    tokenizer: str | None = None,
) -> tuple[list[FileReport], list[str], list[str]]:
    """Read every file once and return ``(reports, errors, warnings)``; the first file is the training file."""
    errors: list[str] = []
    reports = []
    for path in files:
        report, problems = _read(path, text_column, label_column, labels, delimiter)
        reports.append(report)
        errors += problems
    warnings = _label_findings(reports, labels, errors)
    warnings += _duplicates(reports) + _overlaps(reports) + _balance(reports)
    warnings += _long_sentences(reports, max_length, tokenizer)
    return reports, errors, warnings


def _read(path, text_column, label_column, labels, delimiter) -> tuple[FileReport, list[str]]:
    suffix = Path(path).suffix.lower()
    how = "JSON lines"
    if suffix in CSV_SUFFIXES and Path(path).is_file():
        with open(path, "rb") as handle:
            header = handle.readline().decode("utf-8-sig", errors="replace")
        used = delimiter or detect_delimiter(header, suffix)
        how = f"CSV, delimiter {delimiter_name(used)} {'given' if delimiter else 'detected'}"
    report = FileReport(path, how)
    by_message: dict[str, list[int]] = defaultdict(list)
    for line, row, problem in iter_records(path, delimiter):
        found = [problem] if problem else row_problems(row, text_column, label_column, labels, _HINT)
        for message in found:
            by_message[message].append(line)
        if row is not None and not found:
            report.rows.append((line, row[text_column], row[label_column]))
            report.counts[row[label_column]] += 1
    if not by_message and not report.rows:
        by_message["no rows found"] = []
    return report, [f"{path}:{_lines(lines)}: {message}" for message, lines in by_message.items()]


def _lines(lines: list[int]) -> str:
    """``3`` or ``3,7,9`` or ``3,7,9,... (57 rows)``: one message per kind of problem, not per row."""
    shown = ",".join(str(n) for n in lines[:3])
    return shown + (f",... ({len(lines)} rows)" if len(lines) > 3 else "")


def _label_findings(reports: list[FileReport], labels: list[str] | None, errors: list[str]) -> list[str]:
    warnings = []
    train = reports[0]
    for report in reports[1:]:
        for label in sorted(set(report.counts) - set(train.counts)):
            errors.append(f"{report.path}: label {label!r} never occurs in the training file {train.path}")
    found = {label for r in reports for label in r.counts}
    keys = defaultdict(set)
    for label in found:
        keys[re.sub(r"\s+", " ", label.strip().casefold())].add(label)
    for variants in keys.values():
        if len(variants) > 1:
            warnings.append(f"labels {sorted(variants)} differ only by case or spaces; they count as different labels")
    if labels is None and found and not found <= set(LABELS):
        warnings.append(
            f"labels {sorted(found)} are not the claim labels {list(LABELS)}: training takes them from the data "
            "(set data.labels to fix the list and catch typos)"
        )
    return warnings


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).casefold()


def _duplicates(reports: list[FileReport]) -> list[str]:
    warnings = []
    for report in reports:
        seen: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
        for line, text, label in report.rows:
            seen[_key(text)].append((line, label))
        for entries in seen.values():
            if len(entries) > 1:
                lines = ", ".join(str(line) for line, _ in entries)
                conflict = len({label for _, label in entries}) > 1
                kind = f"with different labels {sorted({str(lb) for _, lb in entries})}" if conflict else "duplicated"
                warnings.append(f"{report.path}: lines {lines}: the same sentence, {kind}")
    return warnings


def _overlaps(reports: list[FileReport]) -> list[str]:
    warnings = []
    for i, first in enumerate(reports):
        texts: dict[str, int] = {}
        for line, text, _ in first.rows:
            texts.setdefault(_key(text), line)
        for other in reports[i + 1 :]:
            shared = [(line, texts[_key(text)]) for line, text, _ in other.rows if _key(text) in texts]
            if shared:
                where = ", ".join(f"{other.path}:{a} = {first.path}:{b}" for a, b in shared[:3])
                more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
                warnings.append(
                    f"{len(shared)} sentence(s) of {other.path} also occur in {first.path} ({where}{more}): "
                    "scores on them measure memory, not generalisation"
                )
    return warnings


def _balance(reports: list[FileReport]) -> list[str]:
    counts = reports[0].counts
    if not counts:
        return []
    warnings = []
    small = sorted(label for label, n in counts.items() if n < MIN_PER_LABEL)
    if small:
        warnings.append(
            f"{reports[0].path}: {', '.join(f'{lb} ({counts[lb]})' for lb in small)} have fewer than "
            f"{MIN_PER_LABEL} examples: too few to learn or to validate"
        )
    largest, smallest = max(counts.values()), min(counts.values())
    if largest / smallest >= IMBALANCE_RATIO:
        warnings.append(
            f"{reports[0].path}: classes are imbalanced ({largest} vs {smallest} rows); consider "
            "--set training.class_weighted_loss=true"
        )
    return warnings


def _long_sentences(reports: list[FileReport], max_length: int, tokenizer: str | None) -> list[str]:
    count, how = _token_counter(tokenizer)
    warnings = []
    for report in reports:
        long = [(line, n) for line, text, _ in report.rows if (n := count(text)) > max_length]
        if long:
            shown = ", ".join(f"line {line} ({n})" for line, n in long[:5])
            warnings.append(
                f"{report.path}: {len(long)} sentence(s) longer than max_length {max_length} tokens ({how}): "
                f"{shown}{', ...' if len(long) > 5 else ''}; they are truncated to their beginning"
            )
    return warnings


def _token_counter(tokenizer: str | None):
    if tokenizer is None:
        return (lambda text: math.ceil(TOKENS_PER_WORD * len(text.split())) + 2), "estimated, 2 per word"
    from tokenizers import Tokenizer

    path = Path(tokenizer)
    path = path / "tokenizer.json" if path.is_dir() else path
    if not path.is_file():
        raise FileNotFoundError(f"--tokenizer: {path} not found (give a model folder holding tokenizer.json)")
    backend = Tokenizer.from_file(str(path))
    return (lambda text: len(backend.encode(text).ids)), f"counted with {path}"


def run_check_data(args: argparse.Namespace) -> int:
    """The ``claims check-data`` command: prints the report, exits 1 when a file has errors."""
    config = load_config(args.config, args.overrides) if args.config or args.overrides else None
    data = config.data if config else None
    files = args.files or ([f for f in (data.train_file, data.validation_file, data.test_file) if f] if data else [])
    if not files:
        raise ValueError("name the files to check (training file first), or give --config")
    labels = args.labels.split(",") if args.labels else (data.labels if data else None)
    max_length = args.max_length or (config.model.max_length if config else None) or _folder_max_length(args)
    reports, errors, warnings = check_files(
        files,
        args.text_column or (data.text_column if data else "text"),
        args.label_column or (data.label_column if data else "label"),
        labels,
        parse_delimiter(args.delimiter or (data.delimiter if data else None)),
        max_length,
        args.tokenizer,
    )
    for report in reports:
        counts = ", ".join(f"{label} {n}" for label, n in sorted(report.counts.items(), key=lambda kv: -kv[1]))
        print(f"{report.path}: {len(report.rows)} good rows ({report.how}); {counts or 'no labels'}")
    for title, items in (("error", errors), ("warning", warnings)):
        for item in items:
            print(f"{title}: {item}")
    print(f"{len(errors)} error(s), {len(warnings)} warning(s)" + ("" if errors else ": ready to train"))
    return 1 if errors else 0


def _folder_max_length(args: argparse.Namespace) -> int:
    """max_length from a ``--tokenizer`` model folder's tokenizer_config.json, else 128."""
    folder = Path(args.tokenizer) if args.tokenizer else None
    if folder and (folder / "tokenizer_config.json").is_file():
        value = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8")).get("model_max_length")
        if isinstance(value, int) and value < 100_000:
            return value
    return 128
