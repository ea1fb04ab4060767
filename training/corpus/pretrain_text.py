"""Checks of the unlabelled pretraining text (``data/pretrain/*.jsonl``) against the evaluation sets.

The masked-language stage reads this text, so none of it may copy or nearly copy a validation, test or
dev_real sentence, and no article may cover a dev_real event (its events sit in even years, like the
real-event tranche). Problems come back as ``file:line: message``, like the corpus validator's.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np

FIELDS = ("id", "event", "domain", "region", "text")
DOMAINS = (
    "intl_conflict_diplomacy",
    "security_cyber",
    "domestic_politics",
    "justice",
    "health",
    "industry_environment",
    "transport",
    "business",
)
GUARDED = ("validation", "test", "dev_real")  # sets the pretraining text must not copy
NEAR_COPY_COSINE = 0.8


def check_pretrain_text(pretrain_dir: Path, claims_dir: Path) -> tuple[list[str], str]:
    """Validate every ``*.jsonl`` of ``pretrain_dir``; returns ``(errors, one statistics line)``."""
    rows, errors = [], []
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    for path in sorted(pretrain_dir.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path}:{number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                errors.append(f"{where}: invalid JSON ({error.msg})")
                continue
            bad = [f for f in FIELDS if not isinstance(data, dict) or not isinstance(data.get(f), str)]
            if bad:
                errors.append(f"{where}: missing or non-string field(s) {bad}")
                continue
            if data["id"] in seen_ids:
                errors.append(f"{where}: duplicate id {data['id']!r} (first at {seen_ids[data['id']]})")
            seen_ids.setdefault(data["id"], where)
            key = re.sub(r"\W+", " ", data["text"].lower()).strip()
            if key in seen_texts:
                errors.append(f"{where}: same sentence as {seen_texts[key]}")
            seen_texts.setdefault(key, where)
            if data["domain"] not in DOMAINS:
                errors.append(f"{where}: domain {data['domain']!r} not in {list(DOMAINS)}")
            year = re.match(r"(\d{4}): \S", data["event"])
            if not year or int(year.group(1)) % 2:
                errors.append(f"{where}: event {data['event']!r} must read 'YEAR: episode' with an even year")
            if not 4 <= len(data["text"].split()) <= 80:
                errors.append(f"{where}: {len(data['text'].split())} words (allowed 4-80)")
            rows.append((where, data))
    guarded = []
    for name in GUARDED:
        path = claims_dir / f"{name}.jsonl"
        if path.is_file():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                guarded.append((f"{path}:{number}", json.loads(line)))
    dev_events = {d["event"].lower() for w, d in guarded if "dev_real" in w and isinstance(d.get("event"), str)}
    errors += [f"{w}: event {d['event']!r} is a dev_real event" for w, d in rows if d["event"].lower() in dev_events]
    errors += _copies(rows, guarded)
    articles = {d["id"].rsplit("-", 1)[0] for _, d in rows}
    domains = Counter(d["domain"] for _, d in rows)
    stats = (
        f"Unlabelled pretraining text (`data/pretrain/`): {len(rows)} sentences, {len(articles)} articles, "
        + ", ".join(f"{k} {v}" for k, v in sorted(domains.items()))
        + "."
    )
    return errors, stats


def _copies(rows: list[tuple[str, dict]], guarded: list[tuple[str, dict]]) -> list[str]:
    """Sentences whose character 3-5-gram TF-IDF cosine with a guarded sentence reaches the threshold."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not rows or not guarded:
        return []
    normalise = lambda text: re.sub(r"\W+", " ", text.lower()).strip()  # noqa: E731
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), dtype=np.float32)
    vectorizer.fit([normalise(d["text"]) for _, d in rows + guarded])
    ours = vectorizer.transform([normalise(d["text"]) for _, d in rows])
    theirs = vectorizer.transform([normalise(d["text"]) for _, d in guarded])
    errors = []
    for start in range(0, len(rows), 1024):
        block = (ours[start : start + 1024] @ theirs.T).toarray()
        for i, j in zip(*np.nonzero(block >= NEAR_COPY_COSINE)):
            errors.append(f"{rows[start + i][0]}: copies {guarded[j][0]} (cosine {block[i, j]:.2f})")
    return errors
