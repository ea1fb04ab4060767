"""Reference systems evaluated on the same data as the model: majority class, keyword rules, TF-IDF + LR.

Each returns predicted label ids in the order of the run's ``labels``; a keyword rule naming a label the
run does not have predicts ``-1`` (always wrong), and the keyword baseline only runs on claim labels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

from inference.labels import LABELS

from .keyword_rules import keyword_label

KEYWORD = "keyword rules"
TFIDF = "TF-IDF + logistic regression"


def majority_baseline(train_labels: Sequence[str], texts: Sequence[str], labels: Sequence[str] = LABELS) -> np.ndarray:
    """Always the most frequent training label."""
    top = Counter(train_labels).most_common(1)[0][0]
    return np.full(len(texts), list(labels).index(top))


def keyword_baseline(texts: Sequence[str], labels: Sequence[str] = LABELS) -> np.ndarray:
    """Regexes on the obvious cue words (``training.evaluation.keyword_rules``)."""
    ids = {label: i for i, label in enumerate(labels)}
    return np.array([ids.get(keyword_label(t), -1) for t in texts], dtype=int)


def tfidf_vectorizers() -> list[TfidfVectorizer]:
    """The anchor's features (also the model's lexical channel): word 1-2-grams and character 2-5-grams."""
    return [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    ]


def tfidf_classifier() -> LogisticRegression:
    return LogisticRegression(C=10.0, max_iter=3000)


def tfidf_baseline(
    train_texts: Sequence[str], train_labels: Sequence[str], texts: Sequence[str], labels: Sequence[str] = LABELS
) -> np.ndarray:
    """Word 1-2-gram and character 2-5-gram TF-IDF with logistic regression, fitted on the training split."""
    model = make_pipeline(make_union(*tfidf_vectorizers()), tfidf_classifier())
    model.fit(list(train_texts), [list(labels).index(label) for label in train_labels])
    return model.predict(list(texts))


def run_baselines(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    texts: Sequence[str],
    labels: Sequence[str] = LABELS,
) -> dict[str, np.ndarray]:
    """Predicted label ids of every baseline on ``texts`` (keyword rules only when the labels are claim labels)."""
    result = {"majority class": majority_baseline(train_labels, texts, labels)}
    if set(labels) <= set(LABELS):
        result[KEYWORD] = keyword_baseline(texts, labels)
    result[TFIDF] = tfidf_baseline(train_texts, train_labels, texts, labels)
    return result
