"""Fit the lexical channel (``inference.lexical``) on the training split and choose its weight on validation.

The channel is the TF-IDF + logistic-regression anchor of the evaluation reports and the ablation
(``training.evaluation.baselines``: word 1-2-grams, character 2-5-grams inside words). Its mixing weight with
the encoder is the one of 0, 0.1, ..., 0.9 with the best validation macro-F1 (ties go to the smaller weight).
Weight 0 means the channel does not help: nothing is written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from inference.lexical import FORMAT, LEXICAL_JSON, LEXICAL_WEIGHTS, LexicalChannel, log_softmax

from .evaluation.baselines import tfidf_classifier, tfidf_vectorizers
from .evaluation.significance import fast_macro_f1

WEIGHTS = tuple(round(0.1 * i, 1) for i in range(10))


@dataclass
class LexicalFit:
    """A fitted channel, before it is written next to a model."""

    labels: list[str]
    vectorizers: list[TfidfVectorizer]
    classifier: LogisticRegression
    weight: float = 0.0
    validation: dict[str, float] = field(default_factory=dict)
    fit_seconds: float = 0.0

    def summary(self) -> dict:
        return {
            "weight": self.weight,
            "validation_macro_f1": self.validation,
            "ngrams": sum(len(v.vocabulary_) for v in self.vectorizers),
            "fit_seconds": round(self.fit_seconds, 1),
        }


def fit_lexical(texts: Sequence[str], labels: Sequence[int], label_names: Sequence[str]) -> LexicalFit:
    """The TF-IDF anchor fitted over ``label_names`` (``labels`` are ids into that list)."""
    started = time.perf_counter()
    vectorizers = tfidf_vectorizers()
    features = hstack([v.fit_transform(list(texts)) for v in vectorizers]).tocsr()
    classifier = tfidf_classifier().fit(features, list(labels))
    if list(classifier.classes_) != list(range(len(label_names))):
        missing = [label_names[i] for i in sorted(set(range(len(label_names))) - set(classifier.classes_))]
        raise ValueError(f"the lexical channel needs every label in the training split; missing: {missing}")
    return LexicalFit(list(label_names), vectorizers, classifier, fit_seconds=time.perf_counter() - started)


def choose_weight(fit: LexicalFit, logits: np.ndarray, log_lexical: np.ndarray, gold: Sequence[int]) -> LexicalFit:
    """Set ``fit.weight`` to the mixing weight with the best validation macro-F1 (smallest on ties)."""
    log_encoder = log_softmax(logits)
    gold = np.asarray(gold)
    k = len(fit.labels)
    scores = {w: fast_macro_f1(gold, ((1 - w) * log_encoder + w * log_lexical).argmax(1), k) for w in WEIGHTS}
    best = max(WEIGHTS, key=lambda w: (round(scores[w], 6), -w))
    fit.weight = best
    fit.validation = {
        "encoder": scores[0.0],
        "lexical": fast_macro_f1(gold, log_lexical.argmax(1), k),
        "fused": scores[best],
        "by_weight": {str(w): s for w, s in scores.items()},
    }
    return fit


def pack(fit: LexicalFit) -> tuple[dict, dict[str, np.ndarray]]:
    """What ``lexical.json`` and ``lexical.safetensors`` hold for ``fit``."""
    spec = {
        "format": FORMAT,
        "weight": fit.weight,
        "labels": fit.labels,
        "sublinear_tf": True,
        "validation_macro_f1": fit.validation,
        "blocks": [],
    }
    arrays = {}
    for vectorizer in fit.vectorizers:
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        spec["blocks"].append(
            {"analyzer": vectorizer.analyzer, "ngram_range": list(vectorizer.ngram_range), "terms": terms}
        )
        arrays[f"idf_{vectorizer.analyzer}"] = vectorizer.idf_.astype(np.float32)
    coef, intercept = fit.classifier.coef_, fit.classifier.intercept_
    if len(fit.labels) == 2:  # one row for the second class; softmax over [0, d] is scikit-learn's [1 - s(d), s(d)]
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    arrays["coef"] = coef.astype(np.float32)
    arrays["intercept"] = intercept.astype(np.float32)
    # safetensors writes the raw buffer: a Fortran-ordered array (scikit-learn's coef_) would come back transposed.
    return spec, {k: np.ascontiguousarray(v) for k, v in arrays.items()}


def save_lexical(fit: LexicalFit, folder: Path) -> None:
    """Write ``lexical.json`` and ``lexical.safetensors`` into ``folder`` (a staging folder: published atomically)."""
    from safetensors.numpy import save_file

    spec, arrays = pack(fit)
    save_file(arrays, str(folder / LEXICAL_WEIGHTS))
    (folder / LEXICAL_JSON).write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")


def add_lexical_channel(
    folder: Path,
    labels: Sequence[str],
    train: tuple[Sequence[str], Sequence[int]],
    validation: tuple[Sequence[str], Sequence[int]],
    validation_logits: np.ndarray,
) -> dict:
    """Fit, choose the weight on validation and, when it is above 0, write the channel into ``folder``.

    Returns the summary for ``metrics.json`` and the channel as inference will run it (None when not written).
    """
    fit = fit_lexical(train[0], train[1], labels)
    log_lexical = fit_to_channel(fit).log_proba(list(validation[0]))
    choose_weight(fit, validation_logits, log_lexical, validation[1])
    channel = None
    if fit.weight > 0:
        save_lexical(fit, folder)
        channel = fit_to_channel(fit)
    return fit.summary() | {"written": channel is not None}, channel


def fit_to_channel(fit: LexicalFit) -> LexicalChannel:
    """The inference-side channel of ``fit``, in memory (weight 1 stands in until the weight is chosen)."""
    spec, arrays = pack(fit)
    return LexicalChannel(spec | {"weight": fit.weight or 1.0}, arrays, fit.labels)
