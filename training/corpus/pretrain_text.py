"""Checks of the unlabelled pretraining text (``data/pretrain/*.jsonl``) against the evaluation sets.

The masked-language stage reads this text, so none of it may copy or nearly copy a validation, test or
dev_real sentence, and no article may cover a dev_real event (its events sit in even years, like the
real-event tranche). Problems come back as ``file:line: message``, like the corpus validator's.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .checks import Row, normalise, parse_line, similar_pairs

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


def check_pretrain_text(pretrain_dir: Path, corpus: list[Row]) -> tuple[list[str], str]:
    """Validate every ``*.jsonl`` of ``pretrain_dir`` against the corpus rows the validator read.

    Returns ``(errors, one statistics line)``.
    """
    rows, errors = [], []
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    for path in sorted(pretrain_dir.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path}:{number}"
            data, error = parse_line(line, where)
            if error:
                errors.append(error)
                continue
            bad = [f for f in FIELDS if not isinstance(data.get(f), str)]
            if bad:
                errors.append(f"{where}: missing or non-string field(s) {bad}")
                continue
            if data["id"] in seen_ids:
                errors.append(f"{where}: duplicate id {data['id']!r} (first at {seen_ids[data['id']]})")
            seen_ids.setdefault(data["id"], where)
            key = normalise(data["text"])
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
    guarded = [r for r in corpus if r.split in GUARDED]
    dev_events = {
        r.data["event"].lower() for r in guarded if r.split == "dev_real" and isinstance(r.data.get("event"), str)
    }
    errors += [f"{w}: event {d['event']!r} is a dev_real event" for w, d in rows if d["event"].lower() in dev_events]
    errors += [
        f"{rows[i][0]}: copies {guarded[j].where} (cosine {cosine:.2f})"
        for i, j, cosine in similar_pairs([d["text"] for _, d in rows], [r.data["text"] for r in guarded])
    ]
    articles = {d["id"].rsplit("-", 1)[0] for _, d in rows}
    domains = Counter(d["domain"] for _, d in rows)
    stats = (
        f"Unlabelled pretraining text (`data/pretrain/`): {len(rows)} sentences, {len(articles)} articles, "
        + ", ".join(f"{k} {v}" for k, v in sorted(domains.items()))
        + "."
    )
    return errors, stats
