"""CSV dialect shared by every reader and writer: delimiter detection (``,`` ``;`` tab) and ``--delimiter``.

A French spreadsheet exports CSV with ``;`` (the comma is the decimal separator), so the delimiter is read
from the header line unless given: the candidate that splits the header most often, outside quotes, wins.
"""

from __future__ import annotations

DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\\t": "\t", "\t": "\t", "|": "|"}
_CANDIDATES = (",", ";", "\t")


def parse_delimiter(option: str | None) -> str | None:
    """The delimiter named by ``--delimiter`` (``,`` ``;`` ``tab`` ``|``), or None to detect it.

    Raises:
        ValueError: anything else, naming the accepted values.
    """
    if option is None:
        return None
    if option not in DELIMITERS:
        raise ValueError(f"--delimiter must be one of ',', ';', 'tab' or '|', got {option!r}")
    return DELIMITERS[option]


def detect_delimiter(header: str, suffix: str = ".csv") -> str:
    """The delimiter of a CSV header line: tab for ``.tsv``, else the most frequent of ``,`` ``;`` tab.

    A header with none of them (a single column) reads as ``,``.
    """
    if suffix.lower() == ".tsv":
        return "\t"
    counts = dict.fromkeys(_CANDIDATES, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_CANDIDATES, key=lambda c: counts[c])  # ties keep the order above: ',' first
    return best if counts[best] else ","


def delimiter_name(delimiter: str) -> str:
    """How messages name a delimiter (a tab is invisible)."""
    return "tab" if delimiter == "\t" else repr(delimiter)
