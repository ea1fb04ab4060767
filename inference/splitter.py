"""Split French news text into sentences with character offsets.

Rules, in order of precedence:
- a blank line or a bulleted line (``-``, ``•``, ``*``, ``–``, ``—``, ``1.``, ``1)``) always starts a sentence;
  the bullet marker itself is not part of the sentence;
- a line with no final punctuation followed by a line starting with a capital (a title or a dateline)
  ends there; other single line breaks are spaces (hard-wrapped copy);
- ``.``, ``!``, ``?``, ``…`` / ``...`` end a sentence when followed by a space and a sentence start (capital,
  digit, opening quote or bracket), outside « » and “ ” quotes, and not after an abbreviation (M., Mme, Dr,
  St, p., janv. ...) or an initial (J. Dupont, J.-P. Martin);
- a closing » or ” ends a sentence when the quote itself ended with final punctuation and a sentence start
  follows (« Nous ne céderons pas. » Le ministre...), so a quote spanning full stops stays whole;
- decimals and thousands (3,5 ; 2.000 ; 1 200) never split, having no space after the dot.

Every returned ``Sentence`` satisfies ``text[s.start:s.end] == s.text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ABBREVIATIONS = frozenset(
    """M MM Mme Mmes Mlle Mlles Me Mes Mgr Dr Drs Pr Prof Pdt St Ste Sts Stes Sté Cie Éts Ets Gal Gén Col Cdt Lt Sgt
    Cne Adj Av av apr J.-C hab min max art al vol no éd ex fig janv févr avr juil sept oct nov déc tél chap coll dir
    op cit resp cf env vs p pp ch éds Inc Ltd Co Bd bd boul etc""".split()
)
_TERMINAL = ".!?…"
_OPEN_QUOTES = "«“"
_CLOSE_QUOTES = "»”"
_CLOSERS = "»”\"')]’"
_BULLET_RE = re.compile(r"[ \t]*(?:[-•*–—▪►]|\d{1,3}[.)])[ \t]+(?=\S)")
_INITIALS_RE = re.compile(r"(?:^|[\s(])(?:[A-ZÀ-Ý]\.?-)*[A-ZÀ-Ý]$")


@dataclass(frozen=True)
class Sentence:
    """A sentence and its ``[start, end)`` character span in the original text."""

    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences (see the module docstring for the rules)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    sentences: list[Sentence] = []
    for block_start, block_end in _blocks(text):
        for start, end in _split_block(text, block_start, block_end):
            # Trim whitespace so offsets slice back to exactly the sentence text.
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                sentences.append(Sentence(text[start:end], start, end))
    return sentences


def _blocks(text: str):
    """Yield ``(start, end)`` spans separated by blank lines, bullets and title lines."""
    lines = []
    pos = 0
    for line in text.splitlines(keepends=True):
        lines.append((pos, pos + len(line), line))
        pos += len(line)
    block_start = None
    prev_line = ""
    for start, end, line in lines:
        content = line.strip()
        if not content:
            if block_start is not None:
                yield block_start, start
                block_start = None
            prev_line = ""
            continue
        bullet = _BULLET_RE.match(line)
        title_break = bool(prev_line) and prev_line[-1] not in _TERMINAL + _CLOSERS + ",;:" and content[0].isupper()
        if bullet or title_break:
            if block_start is not None:
                yield block_start, start
            block_start = start + (bullet.end() if bullet else 0)
        elif block_start is None:
            block_start = start
        prev_line = content
    if block_start is not None:
        yield block_start, len(text)


def _split_block(text: str, start: int, end: int):
    """Yield sentence spans inside one block."""
    depth = 0  # nesting of « » / “ ” quotes
    straight_open = False  # inside "..."
    sentence_start = start
    i = start
    while i < end:
        char = text[i]
        if char in _OPEN_QUOTES:
            depth += 1
        elif char in _CLOSE_QUOTES:
            depth = max(0, depth - 1)
            if depth == 0 and not straight_open and _ends_with_terminal(text, sentence_start, i):
                cut = _boundary_after(text, i + 1, end)
                if cut is not None:
                    yield sentence_start, i + 1
                    sentence_start = i = cut
                    continue
        elif char == '"':
            straight_open = not straight_open
        elif char in _TERMINAL and depth == 0 and not straight_open:
            j = i + 1
            while j < end and text[j] in _TERMINAL:
                j += 1
            while j < end and text[j] in _CLOSERS:
                j += 1
            if not (char == "." and j == i + 1 and _is_abbreviation(text, sentence_start, i)):
                cut = _boundary_after(text, j, end)
                if cut is not None:
                    yield sentence_start, j
                    sentence_start = i = cut
                    continue
            i = j
            continue
        i += 1
    if sentence_start < end:
        yield sentence_start, end


def _ends_with_terminal(text: str, start: int, close_index: int) -> bool:
    k = close_index - 1
    while k >= start and text[k].isspace():
        k -= 1
    return k >= start and text[k] in _TERMINAL


def _boundary_after(text: str, j: int, end: int) -> int | None:
    """If whitespace then a sentence start follow position ``j``, return where the next sentence starts."""
    if j >= end:
        return None
    if not text[j].isspace():
        return None
    k = j
    while k < end and text[k].isspace():
        k += 1
    if k >= end:
        return None
    nxt = text[k]
    if nxt.isupper() or nxt.isdigit() or nxt in "«“\"'(([—–-•":
        return k
    return None


def _is_abbreviation(text: str, sentence_start: int, dot: int) -> bool:
    word_start = dot
    while word_start > sentence_start and (text[word_start - 1].isalpha() or text[word_start - 1] in ".-"):
        word_start -= 1
    word = text[word_start:dot].lstrip(".-")
    if not word:
        return False
    if word in ABBREVIATIONS or word.rstrip(".") in ABBREVIATIONS:
        return True
    return bool(_INITIALS_RE.search(text[max(sentence_start, word_start - 1) : dot]))
