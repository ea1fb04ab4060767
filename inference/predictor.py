"""Sentence classification: ``Classifier`` for explicit control, ``predict()`` for one-liners.

Speed comes from sorting inputs by token length and cutting batches by a budget of padded tokens
(``inference.batching``), tokenizing thousands of sentences per fast-tokenizer call (on a GPU, the next
chunk while the current one runs), half precision on GPUs (``inference.precision``), SDPA attention and
``torch.inference_mode()``. Texts longer than the model's ``max_length`` tokens are truncated (keeping the
beginning) and counted in a single warning per call.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from .batching import DEFAULTS, Encoded, encode_chunks, pad_rows, plan_batches
from .checkpoint import CheckpointInfo, ModelLoadError, inspect_checkpoint, model_fingerprint, resolve_model_dir
from .engines import load_engine
from .lexical import LexicalChannel, LexicalError
from .texts import check_texts


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


LEXICAL_SLICE = 4096  # sentences scored by the lexical channel at a time


class TruncationWarning(UserWarning):
    """Some inputs were longer than the model's maximum length and were truncated."""


class Classifier:
    """A loaded claim classifier.

    Args:
        model: model directory; default ``$CLAIMS_MODEL``, else the quick start's output directory.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; default CUDA when available, else CPU.
        batch_size: at most this many sentences per forward pass (default 32 on CPU, 1024 on CUDA).
        max_length: token limit (default: the checkpoint's own, at most 512).
        max_tokens: at most this many padded tokens (longest sentence x sentences) per forward pass; a
            longer sentence runs alone (default 2048 on CPU, 65536 on CUDA).
        precision: ``"auto"`` (bf16 on GPUs that have it, else fp16 on GPUs, fp32 on CPU), ``"fp32"``,
            ``"bf16"`` or ``"fp16"`` (CUDA only); the ONNX backend runs its file's own precision.
        backend: ``"torch"``, ``"onnx"`` or ``"auto"`` (torch weights when present, else ONNX).
        onnx_file: which ``*.onnx`` file to run with the ONNX backend (default ``model.onnx``).
        accept_any_labels: use a checkpoint whose labels are not the four claim labels.
        lexical: fuse the encoder with the checkpoint's n-gram channel (``lexical.json``) when it has one;
            False scores with the encoder alone (``inference.lexical``).

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
        batch_size: int | None = None,
        max_length: int | None = None,
        backend: str = "auto",
        onnx_file: str | None = None,
        accept_any_labels: bool = False,
        max_tokens: int | None = None,
        precision: str = "auto",
        lexical: bool = True,
    ) -> None:
        for name, value in (("batch_size", batch_size), ("max_tokens", max_tokens)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
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
        self.engine = load_engine(self.info, backend=backend, device=device, onnx_file=onnx_file, precision=precision)
        self.tokenizer = self.engine.tokenizer
        self.lexical: LexicalChannel | None = None
        if lexical and LexicalChannel.present(self.path):
            try:
                self.lexical = LexicalChannel.load(self.path, self.labels)
            except LexicalError as error:
                raise ModelLoadError(str(error)) from None
        # A temperature fitted on fused scores does not fit the encoder's alone (nor the reverse): then none applies.
        fused = self.lexical is not None
        recorded = self.info.temperature_lexical
        self.temperature = self.info.temperature if recorded is None or recorded == fused else 1.0
        self.precision: str = getattr(self.engine, "precision", "fp32")
        kind = "cuda" if str(self.engine.device).startswith("cuda") else "cpu"
        self.batch_size = batch_size or DEFAULTS[kind].batch_size
        self.max_tokens = max_tokens or DEFAULTS[kind].max_tokens
        self._chunk_size, self._multiple = DEFAULTS[kind].chunk, DEFAULTS[kind].multiple
        self._prefetch = kind == "cuda"  # tokenise the next chunk while the GPU runs this one
        self.truncated_total = 0  # texts truncated since loading; callers that batch many calls read it

    def __repr__(self) -> str:
        return (
            f"Classifier({str(self.path)!r}, backend={self.engine.name!r}, device={self.engine.device!r}, "
            f"precision={self.precision!r})"
        )

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

        Scores are divided by the checkpoint's calibrated temperature (``calibration.json``) if any, when it was
        fitted on the same kind of scores (fused with the lexical channel or not) as this classifier computes.
        """
        return _softmax(self.predict_logits(texts, _sentences=_sentences) / self.temperature)

    def predict_logits(self, texts: Sequence[str], *, _sentences: bool = False) -> np.ndarray:
        """Scores before temperature, shape ``(len(texts), num_labels)``, in input order: the encoder's logits,
        fused with the lexical channel's log-probabilities when the checkpoint has one."""
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        logits = np.empty((len(texts), len(self.labels)), dtype=np.float32)
        pad_id = self.tokenizer.pad_token_id or 0
        cut = []
        for offset, chunk in encode_chunks(self._encode, texts, self._chunk_size, self._prefetch):
            batches = plan_batches([len(x) for x in chunk.ids], self.max_tokens, self.batch_size)
            outputs = [self.engine.forward(*pad_rows(chunk.ids, rows, pad_id, self._multiple)) for rows in batches]
            logits[offset + np.concatenate(batches)] = self.engine.to_numpy(outputs)
            cut += [offset + i for i in chunk.truncated]
        self.truncated_total += len(cut)
        if cut:
            self._warn_truncation(texts, cut, _sentences)
        if self.lexical:  # in slices, so that the n-gram features of a huge list never sit in memory at once
            for start in range(0, len(texts), LEXICAL_SLICE):
                end = start + LEXICAL_SLICE
                logits[start:end] = self.lexical.fuse(logits[start:end], texts[start:end])
        return logits

    def _encode(self, texts: list[str]) -> Encoded:
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length)
        truncated = [i for i, enc in enumerate(encoded.encodings or []) if enc.overflowing]
        return Encoded(encoded["input_ids"], truncated)

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


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


@lru_cache(maxsize=8)
def _cached_classifier(
    path: str, stamp: tuple, device: str | None, batch_size: int | None, any_labels: bool, precision: str
) -> Classifier:
    return Classifier(path, device=device, batch_size=batch_size, accept_any_labels=any_labels, precision=precision)


def get_classifier(
    model: str | os.PathLike | None = None,
    *,
    device: str | None = None,
    batch_size: int | None = None,
    accept_any_labels: bool = False,
    precision: str = "auto",
):
    """A ``Classifier`` cached per model path, device and precision, reloaded when a file that changes outputs changes
    (weights, calibration, config, tokenizer, ONNX graphs)."""
    path = resolve_model_dir(model).resolve()
    if not path.is_dir():
        raise ModelLoadError(f"model directory not found: {path}")
    stamp = tuple(model_fingerprint(path).items())
    return _cached_classifier(str(path), stamp, device, batch_size, accept_any_labels, precision)


def predict(
    texts: str | Iterable[str],
    model: str | os.PathLike | None = None,
    *,
    batch_size: int | None = None,
    device: str | None = None,
    accept_any_labels: bool = False,
    precision: str = "auto",
) -> Prediction | list[Prediction]:
    """Classify a sentence, or an ordered iterable of sentences (list, pandas Series, numpy array...).

    ``accept_any_labels=True`` runs a model trained on labels other than the four claim labels;
    ``precision`` and ``batch_size`` are ``Classifier``'s (defaults per device).

    Example:
        >>> predict("Le porte-parole a balayé des accusations « sans fondement ».").label
        'denial'
    """
    if not isinstance(texts, str):
        texts = check_texts(texts)  # fail on bad input before loading a model
    classifier = get_classifier(
        model, device=device, batch_size=batch_size, accept_any_labels=accept_any_labels, precision=precision
    )
    return classifier.predict(texts)
