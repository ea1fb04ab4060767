"""Whole articles: split into sentences, classify each, count the acts."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .predictor import Classifier, Prediction, get_classifier
from .splitter import split_sentences


@dataclass(frozen=True)
class SentencePrediction:
    """One sentence of a document, its ``[start, end)`` offsets and its prediction."""

    text: str
    start: int
    end: int
    prediction: Prediction

    def to_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end, **self.prediction.to_dict()}


@dataclass(frozen=True)
class DocumentPrediction:
    """Every sentence of an article with its label, plus how many sentences carry each label."""

    sentences: list[SentencePrediction]
    counts: dict[str, int]

    def to_dict(self) -> dict:
        return {"sentences": [s.to_dict() for s in self.sentences], "counts": dict(self.counts)}

    def by_label(self, label: str) -> list[SentencePrediction]:
        return [s for s in self.sentences if s.prediction.label == label]


def classify_document(classifier: Classifier, text: str) -> DocumentPrediction:
    """Split ``text`` (French news copy) into sentences and classify each.

    Raises:
        TypeError: ``text`` is not a string.
        ValueError: ``text`` is empty or blank (as ``predict("")``).
    """
    if not isinstance(text, str):
        raise TypeError(f"document must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("document is empty or blank; there is nothing to classify")
    spans = split_sentences(text)
    texts = [s.text for s in spans]
    predictions = classifier._to_predictions(classifier.predict_proba(texts, _sentences=True)) if spans else []
    counts = {label: 0 for label in classifier.labels}
    for p in predictions:
        counts[p.label] += 1
    return DocumentPrediction(
        [SentencePrediction(s.text, s.start, s.end, p) for s, p in zip(spans, predictions)], counts
    )


def predict_document(
    text: str,
    model: str | os.PathLike | None = None,
    *,
    batch_size: int | None = None,
    device: str | None = None,
    accept_any_labels: bool = False,
    precision: str = "auto",
) -> DocumentPrediction:
    """Classify every sentence of an article with a cached model.

    Example:
        >>> doc = predict_document("Le maire accuse l'usine. La direction dément.")
        >>> doc.counts["denial"]
        1
    """
    classifier = get_classifier(
        model, device=device, batch_size=batch_size, accept_any_labels=accept_any_labels, precision=precision
    )
    return classify_document(classifier, text)
