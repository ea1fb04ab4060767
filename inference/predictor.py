"""Sentence classification: ``Classifier`` for explicit control, ``predict()`` for one-liners.

Speed comes from sorting inputs by token length so each batch pads only to its own longest
sentence, tokenizing everything in one fast-tokenizer call, and ``torch.inference_mode()``.
Texts longer than the model's ``max_length`` tokens are truncated (keeping the beginning) and
counted in a single warning per call.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from .checkpoint import CheckpointInfo, ModelLoadError, inspect_checkpoint, model_fingerprint, resolve_model_dir
from .engines import load_engine

_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Prediction:
    """One sentence's result: the top ``label``, its probability, and all four probabilities."""

    label: str
    score: float
    scores: dict[str, float]

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


class TruncationWarning(UserWarning):
    """Some inputs were longer than the model's maximum length and were truncated."""


class Classifier:
    """A loaded claim classifier.

    Args:
        model: model directory; default ``$CLAIMS_MODEL``, else the quick start's output directory.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; default CUDA when available, else CPU.
        batch_size: sentences per forward pass.
        max_length: token limit (default: the checkpoint's own, at most 512).
        backend: ``"torch"``, ``"onnx"`` or ``"auto"`` (torch weights when present, else ONNX).
        onnx_file: which ``*.onnx`` file to run with the ONNX backend (default ``model.onnx``).
        accept_any_labels: use a checkpoint whose labels are not the four claim labels.

    Example:
        >>> clf = Classifier("outputs/claims-mini")
        >>> clf.predict("Le ministre dément formellement ces allégations.").label
        'denial'
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        device: str | None = None,
        batch_size: int = 32,
        max_length: int | None = None,
        backend: str = "auto",
        onnx_file: str | None = None,
        accept_any_labels: bool = False,
    ) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.info: CheckpointInfo = inspect_checkpoint(resolve_model_dir(model).resolve(), accept_any_labels)
        self.path = self.info.path
        self.labels: tuple[str, ...] = tuple(self.info.id2label[i] for i in range(len(self.info.id2label)))
        self.max_length = self.info.max_length
        if max_length:
            self.max_length = min(max_length, self.info.max_positions)
            if max_length > self.info.max_positions:
                warnings.warn(
                    f"max_length={max_length} exceeds the {self.info.max_positions} positions of {self.path}; "
                    f"using {self.max_length}",
                    stacklevel=2,
                )
        self.batch_size = batch_size
        self.engine = load_engine(self.info, backend=backend, device=device, onnx_file=onnx_file)
        self.tokenizer = self.engine.tokenizer
        self.truncated_total = 0  # texts truncated since loading; callers that batch many calls read it

    def __repr__(self) -> str:
        return f"Classifier({str(self.path)!r}, backend={self.engine.name!r}, device={self.engine.device!r})"

    def predict(self, texts: str | Iterable[str]) -> Prediction | list[Prediction]:
        """Classify one sentence (returns a ``Prediction``) or many (returns a list, input order).

        Many is any ordered iterable of strings: a list, tuple, generator, pandas Series or numpy array.

        Raises:
            TypeError: ``texts`` is not a string or a sequence of strings (the message names the position).
            ValueError: a text is empty or blank (the message names the position).
        """
        if isinstance(texts, str):
            return self._to_predictions(self.predict_proba([texts]))[0]
        return self._to_predictions(self.predict_proba(texts))

    def predict_proba(self, texts: Sequence[str], *, _sentences: bool = False) -> np.ndarray:
        """Probabilities, shape ``(len(texts), num_labels)``, columns in ``self.labels`` order.

        Logits are divided by the checkpoint's calibrated temperature (``calibration.json``) if any.
        """
        return _softmax(self.predict_logits(texts, _sentences=_sentences) / self.info.temperature)

    def predict_logits(self, texts: Sequence[str], *, _sentences: bool = False) -> np.ndarray:
        """Raw logits (before temperature), shape ``(len(texts), num_labels)``, in input order."""
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length)
        ids = encoded["input_ids"]
        cut = [i for i, enc in enumerate(encoded.encodings or []) if enc.overflowing]
        self.truncated_total += len(cut)
        if cut:
            self._warn_truncation(texts, cut, _sentences)
        order = np.argsort([-len(x) for x in ids], kind="stable")
        logits = np.empty((len(texts), len(self.labels)), dtype=np.float32)
        pad_id = self.tokenizer.pad_token_id or 0
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = len(ids[rows[0]])  # longest first: the batch pads to its first row
            input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
            attention = np.zeros((len(rows), width), dtype=np.int64)
            for j, row in enumerate(rows):
                input_ids[j, : len(ids[row])] = ids[row]
                attention[j, : len(ids[row])] = 1
            logits[rows] = self.engine.logits(input_ids, attention)
        return logits

    def _warn_truncation(self, texts: list[str], cut: list[int], sentences: bool) -> None:
        """One warning per call naming the cut texts (first five) with their full length in tokens."""
        full = {i: len(self.tokenizer(texts[i], truncation=False)["input_ids"]) for i in cut[:5]}
        what = "sentence" if sentences else "texts"
        shown = ", ".join(
            f"{what}[{i}] ({full[i]} tokens, {full[i] - self.max_length} cut: {texts[i][:40]!r}...)" for i in full
        )
        more = f" and {len(cut) - len(full)} more" if len(cut) > len(full) else ""
        hint = (
            "raise max_length (up to the model's position table) or retrain with a longer model.max_length"
            if sentences
            else "split long documents into sentences (predict_document) to classify all of them"
        )
        warnings.warn(
            f"{len(cut)} of {len(texts)} {'sentence' if sentences else 'text'}(s) exceeded {self.max_length} tokens "
            f"and were truncated to their beginning: {shown}{more}; {hint}",
            TruncationWarning,
            stacklevel=5,
        )

    def predict_document(self, text: str):
        """Split an article into sentences and classify each (see ``inference.document``)."""
        from .document import classify_document

        return classify_document(self, text)

    def _to_predictions(self, probs: np.ndarray) -> list[Prediction]:
        best = probs.argmax(axis=1)
        return [
            Prediction(
                label=self.labels[k],
                score=float(row[k]),
                scores={label: float(p) for label, p in zip(self.labels, row)},
            )
            for row, k in zip(probs, best)
        ]


def check_texts(texts) -> list[str]:
    """Validate a batch of inputs, naming the first bad position; returns them as a list.

    Accepts any ordered iterable of strings; pandas Series and numpy arrays are read through their
    ``tolist()`` (duck-typed, so neither library is needed here). Sets and mappings have no input order.
    """
    if isinstance(texts, (bytes, bytearray)):
        raise TypeError(
            "texts must be a string or a sequence of strings, got bytes; decode it first (e.g. .decode('utf-8'))"
        )
    if isinstance(texts, str) or isinstance(texts, (Mapping, Set)) or not isinstance(texts, Iterable):
        what = "unordered " if isinstance(texts, (Mapping, Set)) else ""
        raise TypeError(
            f"texts must be a string or a sequence of strings, got {what}{type(texts).__name__}"
            + ("; pass a list (e.g. list(...) or df['column'].tolist())" if what else "")
        )
    texts = texts.tolist() if callable(getattr(texts, "tolist", None)) else list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            hint = "; drop missing values first (e.g. df['column'].dropna())" if _is_nan(text) else ""
            raise TypeError(f"texts[{i}] must be a string, got {type(text).__name__}: {text!r:.60}{hint}")
        if not text.strip():
            raise ValueError(f"texts[{i}] is empty or blank; remove it or replace it before predicting")
    return [_encodable(text) for text in texts]


def _encodable(text: str) -> str:
    """Lone surrogates (from broken scraping or decoding) cannot reach the Rust tokenizer: they become U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text)
    return text


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


@lru_cache(maxsize=8)
def _cached_classifier(path: str, stamp: tuple, device: str | None, batch_size: int, any_labels: bool) -> Classifier:
    return Classifier(path, device=device, batch_size=batch_size, accept_any_labels=any_labels)


def get_classifier(
    model: str | os.PathLike | None = None,
    *,
    device: str | None = None,
    batch_size: int = 32,
    accept_any_labels: bool = False,
):
    """A ``Classifier`` cached per model path and device, reloaded when a file that changes outputs changes
    (weights, calibration, config, tokenizer, ONNX graphs)."""
    path = resolve_model_dir(model).resolve()
    if not path.is_dir():
        raise ModelLoadError(f"model directory not found: {path}")
    stamp = tuple(model_fingerprint(path).items())
    return _cached_classifier(str(path), stamp, device, batch_size, accept_any_labels)


def predict(
    texts: str | Iterable[str],
    model: str | os.PathLike | None = None,
    *,
    batch_size: int = 32,
    device: str | None = None,
    accept_any_labels: bool = False,
) -> Prediction | list[Prediction]:
    """Classify a sentence, or an ordered iterable of sentences (list, pandas Series, numpy array...).

    ``accept_any_labels=True`` runs a model trained on labels other than the four claim labels.

    Example:
        >>> predict("Le porte-parole a balayé des accusations « sans fondement ».").label
        'denial'
    """
    if not isinstance(texts, str):
        texts = check_texts(texts)  # fail on bad input before loading a model
    classifier = get_classifier(model, device=device, batch_size=batch_size, accept_any_labels=accept_any_labels)
    return classifier.predict(texts)


def _is_nan(value) -> bool:
    """A missing value from pandas or numpy (NaN is the one float not equal to itself)."""
    return isinstance(value, float) and value != value
