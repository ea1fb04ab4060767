"""Claim classification for French news: who accuses, who denies, who reassures.

Thin by design: needs torch and transformers (or onnxruntime) and a saved model directory.
"""

from .checkpoint import ModelLoadError
from .document import DocumentPrediction, SentencePrediction, predict_document
from .labels import LABELS
from .predictor import Classifier, Prediction, TruncationWarning, get_classifier, predict
from .splitter import Sentence, split_sentences

__all__ = [
    "LABELS",
    "Classifier",
    "DocumentPrediction",
    "ModelLoadError",
    "Prediction",
    "Sentence",
    "SentencePrediction",
    "TruncationWarning",
    "get_classifier",
    "predict",
    "predict_document",
    "split_sentences",
]
