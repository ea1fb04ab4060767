"""What the demo computes, without any web framework: an article's sentences with the act shown for each
(the model's label, or ``uncertain`` below the threshold), and the sentence table of an uploaded file.

Bad input raises ``DemoInputError`` with a message meant for the page; the app shows it instead of a traceback.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from inference import Classifier, DocumentPrediction, Prediction, split_sentences
from inference.inputs import iter_records

UNCERTAIN = "uncertain"
# Pasted text and uploaded files: about 700 sentences, a few seconds on 2 CPU cores. Larger inputs belong to
# `claims predict`, which streams them.
MAX_CHARACTERS = 100_000
MAX_FILE_BYTES = 5_000_000
FILE_TYPES = (".txt", ".csv", ".tsv", ".jsonl")
_LARGER = "for longer inputs use `claims predict FILE --output OUT.csv`"


class DemoInputError(ValueError):
    """Input the demo cannot classify; the message says why, for the person who gave it."""


@dataclass(frozen=True)
class ShownSentence:
    """One sentence as the page shows it: ``shown`` is the label, or ``uncertain`` below the threshold."""

    text: str
    start: int
    end: int
    label: str
    score: float
    scores: dict[str, float]
    shown: str

    def to_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end, "label": self.label,
                "score": self.score, "scores": self.scores, "shown": self.shown}  # fmt: skip


def analyse_text(classifier: Classifier, text: str | None, threshold: float) -> list[ShownSentence]:
    """Classify every sentence of ``text`` (``predict_document``); below ``threshold`` the act shown is uncertain.

    Raises:
        DemoInputError: the text is empty or blank, or longer than ``MAX_CHARACTERS``.
    """
    text = check_text(text)
    return show_document(classifier.predict_document(text), threshold)


def check_text(text: str | None, what: str = "The text") -> str:
    """``text`` itself when it can be classified here; else ``DemoInputError`` saying why."""
    if text is None or not text.strip():
        raise DemoInputError(f"{what} is empty: paste an article (French news copy) and press Analyse.")
    _check_length(len(text), what)
    return text


def _check_length(characters: int, what: str) -> None:
    if characters > MAX_CHARACTERS:
        raise DemoInputError(
            f"{what} is {characters:,} characters long; the demo takes at most {MAX_CHARACTERS:,} "
            f"(about 700 sentences): {_LARGER}."
        )


def show_document(doc: DocumentPrediction, threshold: float) -> list[ShownSentence]:
    """The sentences of ``doc`` with the act to show at ``threshold``."""
    return [_shown(s, s.prediction, threshold) for s in doc.sentences]


def _shown(span, prediction: Prediction, threshold: float) -> ShownSentence:
    """``span`` (anything with text, start and end) with its prediction and the act shown at ``threshold``."""
    shown = prediction.label if prediction.score >= threshold else UNCERTAIN
    return ShownSentence(
        span.text, span.start, span.end, prediction.label, prediction.score, dict(prediction.scores), shown
    )


def count_shown(sentences: list[ShownSentence], labels: tuple[str, ...]) -> dict[str, int]:
    """Sentences per act shown, every label first (zero included), then ``uncertain`` when there are any."""
    counts = dict.fromkeys(labels, 0)
    for s in sentences:
        counts[s.shown] = counts.get(s.shown, 0) + 1
    return counts


def classify_file(
    classifier: Classifier, path: str | Path | None, text_column: str, threshold: float
) -> list[tuple[int, ShownSentence]]:
    """The sentences of an uploaded file, each with the line of the file it comes from: ``[(line, sentence)]``.

    A ``.txt`` file is one article; each row of a CSV/TSV/JSONL file (its ``text_column``) is split into
    sentences, so a file of single sentences gives one sentence per row.

    Raises:
        DemoInputError: no file, another extension, too large, not UTF-8 text, a bad row or a missing column.
    """
    if path is None:
        raise DemoInputError("No file: choose a .txt article, or a CSV/JSONL file with a text column.")
    path = Path(path)
    if path.suffix.lower() not in FILE_TYPES:
        raise DemoInputError(f"{path.name}: expected one of {', '.join(FILE_TYPES)}, got {path.suffix or 'none'}.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DemoInputError(f"{path.name} is {path.stat().st_size:,} bytes; the demo takes at most "
                             f"{MAX_FILE_BYTES:,}: {_LARGER}.")  # fmt: skip
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise DemoInputError(f"{path.name} is not a text file (it holds binary data); save it as UTF-8 text.")
    if path.suffix.lower() == ".txt":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise DemoInputError(
                f"{path.name} is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
                "re-save it as UTF-8."
            ) from None
        text = check_text(text, path.name)
        return [(text.count("\n", 0, s.start) + 1, s) for s in analyse_text(classifier, text, threshold)]
    return _classify_rows(classifier, path, text_column, threshold)


def _classify_rows(
    classifier: Classifier, path: Path, text_column: str, threshold: float
) -> list[tuple[int, ShownSentence]]:
    """Every row's sentences, classified in one call so that batches fill up."""
    fmt = "jsonl" if path.suffix.lower() == ".jsonl" else "csv"
    try:
        rows = list(iter_records(str(path), fmt, text_column or "text"))
    except ValueError as error:  # the reader names the file and the line
        message = str(error).replace(str(path), path.name).replace("--text-column", "the text column box")
        raise DemoInputError(message) from None
    if not rows:
        raise DemoInputError(f"{path.name} has no rows with text.")
    _check_length(sum(len(text) for _, text, _ in rows), f"The text of {path.name}")
    spans = [(line, s) for line, text, _ in rows for s in split_sentences(text)]
    predictions = classifier.predict([s.text for _, s in spans])
    return [(line, _shown(s, p, threshold)) for (line, s), p in zip(spans, predictions)]


def table_rows(lined: list[tuple[int, ShownSentence]], labels: tuple[str, ...]) -> tuple[list[str], list[list]]:
    """``(header, rows)`` of the file table: line, sentence, label shown, score, then one score per label."""
    header = ["line", "sentence", "label", "score", *(f"score_{label}" for label in labels)]
    rows = [
        [line, s.text, s.shown, round(s.score, 4), *(round(s.scores[label], 4) for label in labels)]
        for line, s in lined
    ]
    return header, rows


def write_table(header: list[str], rows: list[list], path: Path) -> Path:
    """Write the table as CSV (comma, UTF-8) to ``path``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
