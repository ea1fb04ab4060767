"""The lexical channel: word and character n-gram TF-IDF with a linear classifier, fused with the encoder.

On real-style news a bag of n-grams catches cue words the small encoder misses and the encoder catches
structure the n-grams miss; their log-probabilities are mixed, ``(1 - w) log p_encoder + w log p_lexical``,
with ``w`` chosen on the validation split at training time. The checkpoint holds the channel as
``lexical.json`` (settings, weight, n-gram lists) and ``lexical.safetensors`` (IDF and linear weights); this
module reproduces scikit-learn's ``TfidfVectorizer`` + ``LogisticRegression`` scoring with numpy alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

LEXICAL_JSON = "lexical.json"
LEXICAL_WEIGHTS = "lexical.safetensors"
FORMAT = 1
WORD_CACHE_SIZE = 200_000  # distinct words whose character n-gram columns are kept
CACHED_WORD_LENGTH = 40  # characters: longer words are scored each time (at most 160 columns kept per word)

_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_SPACES = re.compile(r"\s\s+")


def word_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's ``analyzer="word"``: lower-cased tokens of 2+ word characters, then n-grams joined by spaces."""
    tokens = _WORD.findall(text.lower())
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), high + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's ``analyzer="char_wb"``: character n-grams inside each space-padded word."""
    grams: list[str] = []
    for word in _SPACES.sub(" ", text.lower()).split():
        word = f" {word} "
        size = len(word)
        for n in range(low, high + 1):
            if n >= size:  # the padded word is no longer than n: counted once, and no longer n-grams
                grams.append(word)
                break
            grams += [word[i : i + n] for i in range(size - n + 1)]
    return grams


class LexicalError(ValueError):
    """``lexical.json`` or ``lexical.safetensors`` is missing a field, inconsistent or corrupt."""


def log_softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores.astype(np.float64) - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class LexicalChannel:
    """A fitted n-gram channel: ``log_proba(texts)`` in the checkpoint's label order, and its mixing ``weight``.

    ``spec`` is what ``lexical.json`` holds and ``arrays`` what ``lexical.safetensors`` holds; ``load`` reads both
    from a model folder. ``spec_file`` and ``weights_file`` only name the sources in error messages.
    """

    @classmethod
    def load(cls, folder: str | Path, labels: Sequence[str]) -> LexicalChannel:
        from safetensors.numpy import load_file

        spec_file, weights_file = Path(folder) / LEXICAL_JSON, Path(folder) / LEXICAL_WEIGHTS
        try:
            spec = json.loads(spec_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise LexicalError(f"{spec_file}: cannot read the lexical channel ({error})") from None
        try:
            arrays = load_file(str(weights_file))
        except Exception as error:  # missing or corrupt file: say which
            raise LexicalError(f"{weights_file}: cannot read the lexical weights ({error})") from None
        return cls(spec, arrays, labels, spec_file, weights_file)

    def __init__(
        self,
        spec: dict,
        arrays: dict[str, np.ndarray],
        labels: Sequence[str],
        spec_file: str | Path = LEXICAL_JSON,
        weights_file: str | Path = LEXICAL_WEIGHTS,
    ):
        if not isinstance(spec, dict) or spec.get("format") != FORMAT:
            raise LexicalError(f"{spec_file}: expected a JSON object with format {FORMAT}")
        if list(spec.get("labels", [])) != list(labels):
            raise LexicalError(
                f"{spec_file}: labels {spec.get('labels')} do not match the model's {list(labels)} (same order)"
            )
        weight = spec.get("weight")
        if not isinstance(weight, (int, float)) or not 0 < weight <= 1:
            raise LexicalError(f"{spec_file}: weight must be a number in (0, 1], got {weight!r}")
        self.weight = float(weight)
        self.labels = list(labels)
        self.blocks = []  # (analyzer, (low, high), {n-gram: index in the block}, idf, first column)
        offset = 0
        for block in spec.get("blocks", []):
            terms, kind = block.get("terms"), block.get("analyzer")
            if kind not in ("word", "char_wb") or not isinstance(terms, list):
                raise LexicalError(f"{spec_file}: a block needs analyzer word|char_wb and a terms list, got {kind!r}")
            idf = arrays.get(f"idf_{kind}")
            if idf is None or idf.shape != (len(terms),):
                raise LexicalError(f"{weights_file}: idf_{kind} must hold {len(terms)} values")
            try:
                low, high = (int(x) for x in block["ngram_range"])
            except (KeyError, TypeError, ValueError):
                raise LexicalError(f"{spec_file}: each block needs an ngram_range [low, high]") from None
            vocabulary = {t: i for i, t in enumerate(terms)}
            self.blocks.append((kind, (low, high), vocabulary, idf.astype(np.float64), offset))
            offset += len(terms)
        coef, intercept = arrays.get("coef"), arrays.get("intercept")
        shapes = (getattr(coef, "shape", None), getattr(intercept, "shape", None))
        if shapes != ((len(labels), offset), (len(labels),)):
            raise LexicalError(
                f"{weights_file}: coef must be ({len(labels)}, {offset}) and intercept ({len(labels)},) for "
                f"{len(labels)} labels and {offset} n-grams"
            )
        self.coef, self.intercept = coef.astype(np.float64), intercept.astype(np.float64)
        self.idf = np.concatenate([block[3] for block in self.blocks]) if self.blocks else np.zeros(0)
        self.sublinear_tf = bool(spec.get("sublinear_tf", True))
        self._word_columns: dict[int, dict[str, list[int]]] = {}

    @staticmethod
    def present(folder: str | Path) -> bool:
        return (Path(folder) / LEXICAL_JSON).is_file()

    def features(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row, column and TF-IDF value of every non-zero feature of ``texts`` (each block of each row
        L2-normalised, as scikit-learn's feature union of ``TfidfVectorizer`` does)."""
        columns: list[int] = []
        sizes = []  # known n-grams per (row, block) segment, repeats included
        for text in texts:
            for block in self.blocks:
                found = self._columns(text, block)
                columns += found
                sizes.append(len(found))
        segments = len(texts) * len(self.blocks)
        width = max(len(self.idf), 1)
        # Counting in numpy: one key per (segment, column), its multiplicity is the term frequency.
        keys = np.repeat(np.arange(segments, dtype=np.int64), sizes) * width + np.asarray(columns, dtype=np.int64)
        keys, counts = np.unique(keys, return_counts=True)
        segment, cols = np.divmod(keys, width)
        tf = counts.astype(np.float64)
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        values = tf * self.idf[cols]
        norms = np.sqrt(np.bincount(segment, weights=values * values, minlength=segments))
        return segment // len(self.blocks), cols, values / norms[segment]

    def _columns(self, text: str, block) -> list[int]:
        """Columns of the block's known n-grams in ``text``, once per occurrence."""
        kind, (low, high), vocabulary, _, first = block
        get = vocabulary.get
        if kind == "word":
            return [first + i for g in word_ngrams(text, low, high) if (i := get(g)) is not None]
        # Character n-grams never cross a word boundary: each distinct word's columns are computed once and kept
        # (news vocabulary is Zipfian, so most words of a new text are already known).
        cache = self._word_columns.setdefault(id(block), {})
        columns: list[int] = []
        for word in text.lower().split():
            known = cache.get(word)
            if known is None:
                known = [first + i for g in char_wb_ngrams(word, low, high) if (i := get(g)) is not None]
                if len(word) <= CACHED_WORD_LENGTH:  # a long token (a URL, a hostile string) is not kept
                    if len(cache) >= WORD_CACHE_SIZE:
                        cache.clear()
                    cache[word] = known
            columns += known
        return columns

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """Linear scores before the softmax, shape ``(len(texts), num_labels)``."""
        rows, cols, values = self.features(texts)
        out = np.tile(self.intercept, (len(texts), 1))
        for k in range(len(self.labels)):
            out[:, k] += np.bincount(rows, weights=self.coef[k, cols] * values, minlength=len(texts))
        return out

    def log_proba(self, texts: Sequence[str]) -> np.ndarray:
        return log_softmax(self.decision(texts))

    def fuse(self, logits: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Mix the encoder's logits with this channel: ``(1 - w) log_softmax(logits) + w log p_lexical``."""
        return ((1 - self.weight) * log_softmax(logits) + self.weight * self.log_proba(texts)).astype(np.float32)
