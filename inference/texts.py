"""Input checks shared by every entry point: strings only, none blank, each one encodable."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set

_SURROGATES = re.compile("[\ud800-\udfff]")


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


def _is_nan(value) -> bool:
    """A missing value from pandas or numpy (NaN is the one float not equal to itself)."""
    return isinstance(value, float) and value != value
