"""Reference systems evaluated on the same data as the model: majority class, keyword rules, TF-IDF + LR."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

from inference.labels import LABEL2ID

from .keyword_rules import keyword_label


def majority_baseline(train_labels: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """Always the most frequent training label."""
    top = Counter(train_labels).most_common(1)[0][0]
    return np.full(len(texts), LABEL2ID[top])


def keyword_baseline(texts: Sequence[str]) -> np.ndarray:
    """Regexes on the obvious cue words (``training.keyword_rules``)."""
    return np.array([LABEL2ID[keyword_label(t)] for t in texts])


def tfidf_baseline(train_texts: Sequence[str], train_labels: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """Word 1-2-gram and character 2-5-gram TF-IDF with logistic regression, fitted on the training split."""
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    model = make_pipeline(features, LogisticRegression(C=10.0, max_iter=3000))
    model.fit(list(train_texts), [LABEL2ID[label] for label in train_labels])
    return model.predict(list(texts))


def run_baselines(
    train_texts: Sequence[str], train_labels: Sequence[str], texts: Sequence[str]
) -> dict[str, np.ndarray]:
    """Predicted label ids of every baseline on ``texts``."""
    return {
        "majority class": majority_baseline(train_labels, texts),
        "keyword rules": keyword_baseline(texts),
        "TF-IDF + logistic regression": tfidf_baseline(train_texts, train_labels, texts),
    }
