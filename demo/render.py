"""HTML of the result: the article with each sentence highlighted by the act shown (score beside it, every
score on hover), and the per-article counts as a bar chart. Inline styles only, so the API returns the same
markup the page shows; every piece of the user's text is escaped."""

from __future__ import annotations

from html import escape

from .analysis import UNCERTAIN, ShownSentence

COLOURS = {
    "accusation": "#fca5a5",
    "denial": "#93c5fd",
    "reassurance": "#86efac",
    "neutral": "#e5e7eb",
    UNCERTAIN: "#fde68a",
}
# Labels of a model trained on other labels take these in turn.
_SPARE_COLOURS = ("#c4b5fd", "#f9a8d4", "#fdba74", "#67e8f9", "#bef264", "#d6d3d1")


def colour_of(label: str, labels: tuple[str, ...]) -> str:
    """The highlight colour of ``label``: fixed for the claim labels and uncertain, else by its position."""
    if label in COLOURS:
        return COLOURS[label]
    others = [x for x in labels if x not in COLOURS]
    return _SPARE_COLOURS[others.index(label) % len(_SPARE_COLOURS)] if label in others else "#d1d5db"


def highlight(text: str, sentences: list[ShownSentence], labels: tuple[str, ...]) -> str:
    """``text`` as HTML with every sentence in a ``<mark data-label=... data-score=...>`` and its act beside it.

    Text between sentences (spaces, line breaks, bullets) is kept as it is.
    """
    parts, cursor = [], 0
    for s in sentences:
        parts.append(escape(text[cursor : s.start]))
        every = " · ".join(f"{label} {s.scores[label]:.2f}" for label in labels)
        tag = f"{s.shown} {s.score:.2f}" if s.shown != UNCERTAIN else f"uncertain ({s.label} {s.score:.2f})"
        parts.append(
            f'<mark class="claim" data-label="{escape(s.shown)}" data-score="{s.score:.4f}" title="{escape(every)}" '
            f'style="background:{colour_of(s.shown, labels)};padding:1px 3px;border-radius:4px;color:#111827">'
            f"{escape(s.text)}"
            f'<sup class="claim-tag" style="font-size:0.72em;font-weight:600;margin-left:4px;color:#374151">'
            f"{escape(tag)}</sup></mark>"
        )
        cursor = s.end
    parts.append(escape(text[cursor:]))
    return (
        f'<div id="claims-article" style="white-space:pre-wrap;line-height:1.9;font-size:1rem">{"".join(parts)}</div>'
    )


def bar_chart(counts: dict[str, int], labels: tuple[str, ...]) -> str:
    """Horizontal bars, one per act, longest for the most frequent; the count is written beside each bar."""
    most = max(counts.values(), default=0) or 1
    rows = []
    for label, count in counts.items():
        width = round(100 * count / most)
        rows.append(
            f'<div class="claim-count" data-label="{escape(label)}" data-count="{count}" '
            'style="display:flex;align-items:center;gap:8px;margin:3px 0">'
            f'<span style="width:7.5em;text-align:right">{escape(label)}</span>'
            f'<span style="flex:1;max-width:320px"><span style="display:block;height:14px;width:{width}%;'
            f'min-width:2px;background:{colour_of(label, labels)};border-radius:3px"></span></span>'
            f'<span style="width:2.5em;font-weight:600">{count}</span></div>'
        )
    total = sum(counts.values())
    return (
        f'<div id="claims-counts"><div style="font-weight:600;margin-bottom:4px">{total} sentence'
        f"{'s' if total != 1 else ''}</div>{''.join(rows)}</div>"
    )
