"""The keyword-rule baseline: regexes on the obvious cue words of each act.

Used by the corpus validator (a corpus this baseline solves is too easy) and as a baseline row in
evaluation reports. Rules are tried in the guidelines' priority order: denial, accusation, reassurance.
"""

from __future__ import annotations

import re

RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "denial",
        re.compile(
            r"\b(nie|nient|niait|nié|dément|démentent|démenti|réfute|récuse|conteste|rejette|"
            r"infondée?s?|sans fondement|c'est faux|mensong)",
            re.IGNORECASE,
        ),
    ),
    (
        "accusation",
        re.compile(
            r"\b(accus\w*|reproch\w*|dénonc\w*|soupçonn\w*|fustig\w*|met(tent)? en cause|"
            r"responsab\w*|coupable)",
            re.IGNORECASE,
        ),
    ),
    (
        "reassurance",
        re.compile(
            r"\b(rassur\w*|aucun (risque|danger)|pas de danger|sous contrôle|maîtrisée?|"
            r"garanti\w*|pas lieu de s'inquiéter)",
            re.IGNORECASE,
        ),
    ),
)
FALLBACK = "neutral"


def keyword_label(text: str) -> str:
    """The first act whose cue words occur in ``text``, else neutral."""
    for label, pattern in RULES:
        if pattern.search(text):
            return label
    return FALLBACK
