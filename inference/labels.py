"""The label set: the single source of truth for class names and ids.

Tuple order is the class id. Training writes these into ``config.json``; at inference
time the checkpoint's own ``id2label`` is authoritative and this set is only used to
check that a checkpoint speaks the expected language.
"""

from __future__ import annotations

LABELS: tuple[str, ...] = ("accusation", "denial", "reassurance", "neutral")
ID2LABEL: dict[int, str] = dict(enumerate(LABELS))
LABEL2ID: dict[str, int] = {label: i for i, label in ID2LABEL.items()}
