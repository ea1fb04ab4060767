"""Corpus validator: schema, leakage, duplicates, balance, openings, and a keyword-baseline sanity check.

It reads the three training splits and the real-style development set (``dev_real.jsonl``), so duplicates,
near-copies and shared events are caught across all four files. Every problem is reported as
``file:line: message``; any problem makes ``run_validation`` return 1. The statistics it prints (and writes
as Markdown with ``--stats-out``) feed the data card.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.labels import LABELS

from ..evaluation.keyword_rules import keyword_label

SPLITS = ("train", "validation", "test")
DEV_REAL = "dev_real"  # never trained on; selects models and is reported next to test
FILES = (*SPLITS, DEV_REAL)
FIELDS = {"id": str, "text": str, "label": str, "group": str, "domain": str, "difficulty": str, "tranche": str}
# Where each tranche may live. Real-event articles carry the event ("YEAR: episode") and region; training
# events sit in even years and dev_real events in odd years, so no episode is shared. The second real-event
# tranche is training data only, so validation (model selection) and test stay as they were.
TRANCHES = {"base": SPLITS, "real-event": SPLITS, "real-event-2": ("train",), "dev-real": (DEV_REAL,)}
EVENT_FIELDS = {"region": str, "event": str}
EVENT_YEAR_PARITY = {"real-event": 0, "real-event-2": 0, "dev-real": 1}
GEOPOLITICS = ("intl_conflict_diplomacy", "security_cyber")
DIFFICULTIES = ("easy", "hard")
NEAR_DUPLICATE_COSINE = 0.8  # character 3-5-gram TF-IDF cosine at or above which two sentences are near-copies
MAX_OPENING_SHARE = 0.01  # no three-word opening may start more than 1% of sentences
KEYWORD_BASELINE_MAX = 0.80  # a corpus the keyword rules solve this well is too easy
REQUIREMENTS = {
    "total": 4000,
    "per_label": 800,
    "test": 800,
    "test_per_label": 150,
    "validation": 400,
    "groups": 500,
    "domains": 8,
    "per_domain": 300,
    "hard_share": 0.25,
}
TRANCHE_REQUIREMENTS = {"total": 4000, "geopolitics_share": 0.40, "hard_share": 0.40}
DEV_REAL_REQUIREMENTS = {"total": 600, "per_label": 150, "hard_share": 0.40}


@dataclass
class Row:
    split: str
    file: Path
    line: int
    data: dict

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def read_corpus(data_dir: Path) -> tuple[list[Row], list[str]]:
    """Read the splits and dev_real; returns the rows that parsed and the schema errors."""
    rows, errors = [], []
    for split in FILES:
        path = data_dir / f"{split}.jsonl"
        if not path.is_file():
            errors.append(f"{path}: missing split file")
            continue
        for number, line in enumerate(path.open(encoding="utf-8"), 1):
            where = f"{path}:{number}"
            data, error = parse_line(line, where)
            if error:
                errors.append(error)
                continue
            bad = [f for f, kind in FIELDS.items() if not isinstance(data.get(f), kind)]
            if bad:
                errors.append(f"{where}: missing or non-string field(s) {bad}")
                continue
            if data["label"] not in LABELS:
                errors.append(f"{where}: label {data['label']!r} not in {list(LABELS)}")
            if data["difficulty"] not in DIFFICULTIES:
                errors.append(f"{where}: difficulty {data['difficulty']!r} not in {list(DIFFICULTIES)}")
            errors += _tranche_errors(where, split, data)
            rows.append(Row(split, path, number, data))
    return rows, errors


def parse_line(line: str, where: str) -> tuple[dict | None, str | None]:
    """``(object, None)`` for a JSONL line holding a JSON object, else ``(None, error naming where)``."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        return None, f"{where}: invalid JSON ({error.msg})"
    if not isinstance(data, dict):
        return None, f"{where}: expected a JSON object"
    return data, None


def _tranche_errors(where: str, split: str, data: dict) -> list[str]:
    """The tranche must be known and allowed in this file; real-event rows need their event and region."""
    tranche = data["tranche"]
    if tranche not in TRANCHES:
        return [f"{where}: tranche {tranche!r} not in {list(TRANCHES)}"]
    if split not in TRANCHES[tranche]:
        return [f"{where}: tranche {tranche!r} does not belong in {split}.jsonl"]
    if tranche not in EVENT_YEAR_PARITY:
        return []
    bad = [f for f, kind in EVENT_FIELDS.items() if not isinstance(data.get(f), kind)]
    if bad:
        return [f"{where}: {tranche} row needs string field(s) {bad}"]
    year = re.match(r"(\d{4}): \S", data["event"])
    if not year:
        return [f"{where}: event {data['event']!r} must read 'YEAR: episode'"]
    if int(year.group(1)) % 2 != EVENT_YEAR_PARITY[tranche]:
        parity = "even" if EVENT_YEAR_PARITY[tranche] == 0 else "odd"
        return [f"{where}: {tranche} events must be in {parity} years (dev_real and training never share one)"]
    return []


def check_rows(rows: list[Row]) -> list[str]:
    """Every cross-row check: ids, duplicates, leakage, lengths, group sizes, openings, balance."""
    errors: list[str] = []
    first_seen: dict[str, Row] = {}
    by_text: dict[str, Row] = {}
    group_split: dict[str, Row] = {}
    group_sizes: Counter = Counter()
    for row in rows:
        d = row.data
        if d["id"] in first_seen:
            errors.append(f"{row.where}: duplicate id {d['id']!r} (first at {first_seen[d['id']].where})")
        first_seen.setdefault(d["id"], row)
        key = normalise(d["text"])
        if key in by_text:
            errors.append(f"{row.where}: exact duplicate of {by_text[key].where}")
        by_text.setdefault(key, row)
        if d["group"] in group_split and group_split[d["group"]].split != row.split:
            errors.append(
                f"{row.where}: group {d['group']!r} leaks across splits (also in {group_split[d['group']].where})"
            )
        group_split.setdefault(d["group"], row)
        group_sizes[d["group"]] += 1
        words = len(d["text"].split())
        if not 6 <= words <= 60:
            errors.append(f"{row.where}: length outlier, {words} words (allowed 6-60)")
    for group, size in sorted(group_sizes.items()):
        if not 5 <= size <= 12:
            errors.append(f"{group_split[group].where}: group {group!r} has {size} sentences (allowed 5-12)")
    openings = Counter(_opening(r.data["text"]) for r in rows)
    limit = MAX_OPENING_SHARE * len(rows)
    for opening, count in openings.most_common():
        if count <= limit:
            break
        errors.append(f"opening {opening!r} starts {count} sentences (> {MAX_OPENING_SHARE:.0%} = {limit:.0f})")
    errors += _shared_events(rows)
    errors += _near_duplicates(rows)
    errors += _balance([r for r in rows if r.split in SPLITS])
    errors += _tranche_balance([r for r in rows if r.data["tranche"] == "real-event"])
    errors += _dev_real_balance([r for r in rows if r.split == DEV_REAL])
    return errors


def _shared_events(rows: list[Row]) -> list[str]:
    """No event string of dev_real may name a training article's event."""
    training: dict[str, Row] = {}
    for r in rows:
        if r.split in SPLITS and isinstance(r.data.get("event"), str):
            training.setdefault(r.data["event"].lower(), r)
    return [
        f"{r.where}: event {r.data['event']!r} is also a training event ({training[r.data['event'].lower()].where})"
        for r in rows
        if r.split == DEV_REAL and isinstance(r.data.get("event"), str) and r.data["event"].lower() in training
    ]


def normalise(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _opening(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower())[:3])


def _near_duplicates(rows: list[Row]) -> list[str]:
    """Pairs whose character n-gram TF-IDF cosine reaches the threshold, within and across splits."""
    return [
        f"{rows[b].where}: near-duplicate of {rows[a].where} (cosine {cosine:.2f})"
        for a, b, cosine in similar_pairs([r.data["text"] for r in rows])
    ]


def similar_pairs(texts: list[str], others: list[str] | None = None) -> list[tuple[int, int, float]]:
    """``(i, j, cosine)`` for every pair at or above ``NEAR_DUPLICATE_COSINE`` (character 3-5-gram TF-IDF).

    Without ``others``, pairs within ``texts`` (``i < j``); with it, ``texts[i]`` against ``others[j]``, the
    vocabulary and IDF learnt on both.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not texts or (others is None and len(texts) < 2) or others == []:
        return []
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), dtype=np.float32)
    # One pass over the text: fit and vectorise together, then split the rows back into the two sides.
    both = vectorizer.fit_transform([normalise(t) for t in [*texts, *(others or [])]])
    matrix = both[: len(texts)]
    against = matrix if others is None else both[len(texts) :]
    pairs = []
    for start in range(0, len(texts), 1024):  # blockwise: the full matrix of a large corpus is big
        block = (matrix[start : start + 1024] @ against.T).toarray()
        for i, j in zip(*np.nonzero(block >= NEAR_DUPLICATE_COSINE)):
            if others is not None or start + i < j:
                pairs.append((start + i, int(j), float(block[i, j])))
    return pairs


def _balance(rows: list[Row]) -> list[str]:
    r = REQUIREMENTS
    labels = Counter(x.data["label"] for x in rows)
    domains = Counter(x.data["domain"] for x in rows)
    split_sizes = Counter(x.split for x in rows)
    test_labels = Counter(x.data["label"] for x in rows if x.split == "test")
    checks = [
        (len(rows) >= r["total"], f"{len(rows)} sentences, need >= {r['total']}"),
        (len({x.data["group"] for x in rows}) >= r["groups"], f"fewer than {r['groups']} groups"),
        (len(domains) >= r["domains"], f"{len(domains)} domains, need >= {r['domains']}"),
        (split_sizes["test"] >= r["test"], f"test has {split_sizes['test']} sentences, need >= {r['test']}"),
        (
            split_sizes["validation"] >= r["validation"],
            f"validation has {split_sizes['validation']}, need >= {r['validation']}",
        ),
    ]
    checks += [(labels[lab] >= r["per_label"], f"label {lab}: {labels[lab]} < {r['per_label']}") for lab in LABELS]
    checks += [
        (test_labels[lab] >= r["test_per_label"], f"test label {lab}: {test_labels[lab]} < {r['test_per_label']}")
        for lab in LABELS
    ]
    checks += [(n >= r["per_domain"], f"domain {d}: {n} < {r['per_domain']}") for d, n in domains.items()]
    for split in SPLITS:
        sub = [x for x in rows if x.split == split]
        share = sum(x.data["difficulty"] == "hard" for x in sub) / max(1, len(sub))
        checks.append((share >= r["hard_share"], f"{split}: hard share {share:.1%} < {r['hard_share']:.0%}"))
    return [f"balance: {message}" for ok, message in checks if not ok]


def _tranche_balance(rows: list[Row]) -> list[str]:
    if not rows:
        return []  # a corpus without the real-event tranche (test fixtures) has nothing to check here
    r = TRANCHE_REQUIREMENTS
    geo = sum(x.data["domain"] in GEOPOLITICS for x in rows) / len(rows)
    hard = sum(x.data["difficulty"] == "hard" for x in rows) / len(rows)
    checks = [
        (len(rows) >= r["total"], f"{len(rows)} sentences, need >= {r['total']}"),
        (geo >= r["geopolitics_share"], f"geopolitics and security share {geo:.1%} < {r['geopolitics_share']:.0%}"),
        (hard >= r["hard_share"], f"hard share {hard:.1%} < {r['hard_share']:.0%}"),
    ]
    return [f"balance (real-event tranche): {message}" for ok, message in checks if not ok]


def _dev_real_balance(rows: list[Row]) -> list[str]:
    r = DEV_REAL_REQUIREMENTS
    labels = Counter(x.data["label"] for x in rows)
    hard = sum(x.data["difficulty"] == "hard" for x in rows) / max(1, len(rows))
    checks = [(len(rows) >= r["total"], f"{len(rows)} sentences, need >= {r['total']}")]
    checks += [(labels[lab] >= r["per_label"], f"label {lab}: {labels[lab]} < {r['per_label']}") for lab in LABELS]
    checks.append((hard >= r["hard_share"], f"hard share {hard:.1%} < {r['hard_share']:.0%}"))
    return [f"balance (dev_real): {message}" for ok, message in checks if not ok]


def keyword_baseline_accuracy(rows: list[Row], split: str = "test") -> float:
    sub = [x for x in rows if x.split == split]
    return sum(keyword_label(x.data["text"]) == x.data["label"] for x in sub) / max(1, len(sub))


def statistics_markdown(rows: list[Row]) -> str:
    """Tables of counts per split x label, domain and difficulty (pasted into the data card)."""
    lines = ["| split | " + " | ".join(LABELS) + " | hard | easy | groups | total |", "|---" * (len(LABELS) + 5) + "|"]
    corpus = [x for x in rows if x.split in SPLITS]
    for split in (*SPLITS, "all", DEV_REAL):
        sub = [x for x in (rows if split == DEV_REAL else corpus) if split in (x.split, "all")]
        labels = Counter(x.data["label"] for x in sub)
        diff = Counter(x.data["difficulty"] for x in sub)
        groups = len({x.data["group"] for x in sub})
        hard = f"{diff['hard']} ({diff['hard'] / max(1, len(sub)):.0%})"
        lines.append(
            f"| {split} | "
            + " | ".join(str(labels[lab]) for lab in LABELS)
            + f" | {hard} | {diff['easy']} | {groups} | {len(sub)} |"
        )
    lines += [
        "",
        "| tranche | " + " | ".join(LABELS) + " | hard | articles | total |",
        "|---" * (len(LABELS) + 4) + "|",
    ]
    for tranche in TRANCHES:
        sub = [x for x in rows if x.data["tranche"] == tranche]
        labels = Counter(x.data["label"] for x in sub)
        hard = sum(x.data["difficulty"] == "hard" for x in sub)
        lines.append(
            f"| {tranche} | "
            + " | ".join(str(labels[lab]) for lab in LABELS)
            + f" | {hard} ({hard / max(1, len(sub)):.0%}) | {len({x.data['group'] for x in sub})} | {len(sub)} |"
        )
    domain_label: dict[str, Counter] = defaultdict(Counter)
    for x in corpus:
        domain_label[x.data["domain"]][x.data["label"]] += 1
        domain_label[x.data["domain"]][x.data["difficulty"]] += 1
    lines += ["", "| domain | " + " | ".join(LABELS) + " | hard | total |", "|---" * (len(LABELS) + 3) + "|"]
    for domain in sorted(domain_label):
        c = domain_label[domain]
        total = sum(c[lab] for lab in LABELS)
        lines.append(f"| {domain} | " + " | ".join(str(c[lab]) for lab in LABELS) + f" | {c['hard']} | {total} |")
    lines.append("")
    for name, sub in (("training splits", corpus), ("dev_real", [x for x in rows if x.split == DEV_REAL])):
        words = np.array([len(x.data["text"].split()) for x in sub])
        if len(words):
            lines.append(
                f"Sentence length in words ({name}): min {words.min()}, median {int(np.median(words))}, "
                f"mean {words.mean():.1f}, max {words.max()}."
            )
    return "\n".join(lines)


REVIEWS = {
    "label_review.jsonl": "base tranche",
    "tranche_review.jsonl": "real-event tranche",
    "tranche2_review.jsonl": "second real-event tranche",
    "dev_real_review.jsonl": "dev_real",
}


def review_agreement(data_dir: Path) -> str | None:
    """Cohen's kappa between the first labels and the blind second pass, one line per review file."""
    from sklearn.metrics import cohen_kappa_score

    lines = []
    for name, what in REVIEWS.items():
        path = data_dir / name
        if not path.is_file():
            continue
        rows = [json.loads(line) for line in path.open(encoding="utf-8")]
        first, second = [r["first"] for r in rows], [r["second"] for r in rows]
        agree = sum(a == b for a, b in zip(first, second))
        changed = sum(r["final"] != r["first"] for r in rows)
        lines.append(
            f"Label review ({what}, `{name}`): {len(rows)} sentences labelled twice (blind second pass); raw "
            f"agreement {agree / len(rows):.1%}, Cohen's kappa {cohen_kappa_score(first, second):.3f}; "
            f"{len(rows) - agree} disagreements resolved against the guidelines, {changed} first labels changed."
        )
    return "\n\n".join(lines) or None


CARD_BEGIN, CARD_END = "<!-- validator statistics: begin -->", "<!-- validator statistics: end -->"


def sync_card(card: Path, stats: str, update: bool) -> str | None:
    """Compare (or, with ``update``, replace) the statistics block of the data card; returns an error or None."""
    if not card.is_file():
        return None
    text = card.read_text(encoding="utf-8")
    if CARD_BEGIN not in text or CARD_END not in text:
        return f"{card}: statistics markers {CARD_BEGIN!r} / {CARD_END!r} are missing"
    head, rest = text.split(CARD_BEGIN, 1)
    _, tail = rest.split(CARD_END, 1)
    fresh = f"{head}{CARD_BEGIN}\n{stats}\n{CARD_END}{tail}"
    if fresh == text:
        return None
    if update:
        card.write_text(fresh, encoding="utf-8")
        return None
    return f"{card}: statistics are stale; regenerate with: claims validate-data --update-card"


def run_validation(
    data_dir: str | Path = "data/claims", stats_out: str | Path | None = None, update_card: bool = False
) -> int:
    """Validate the corpus, print statistics and the keyword baseline; 0 when clean, 1 otherwise."""
    rows, errors = read_corpus(Path(data_dir))
    errors += check_rows(rows)
    stats = statistics_markdown(rows)
    accuracy = keyword_baseline_accuracy(rows)
    stats += (
        f"\n\nKeyword-rule baseline accuracy on test: {accuracy:.1%} (must stay below {KEYWORD_BASELINE_MAX:.0%})."
    )
    agreement = review_agreement(Path(data_dir))
    if agreement:
        stats += f"\n\n{agreement}"
    pretrain_dir = Path(data_dir).parent / "pretrain"
    if pretrain_dir.is_dir():
        from .pretrain_text import check_pretrain_text

        pretrain_errors, pretrain_stats = check_pretrain_text(pretrain_dir, rows)
        errors += pretrain_errors
        stats += f"\n\n{pretrain_stats}"
    print(stats)
    if accuracy >= KEYWORD_BASELINE_MAX:
        errors.append(f"keyword baseline reaches {accuracy:.1%} on test: the corpus is too easy")
    if stats_out:
        Path(stats_out).write_text(stats + "\n", encoding="utf-8")
    card_error = sync_card(Path(data_dir) / "DATACARD.md", stats, update_card)
    if card_error:
        errors.append(card_error)
    for error in errors:
        print(f"error: {error}")
    print(f"\n{len(rows)} sentences checked, {len(errors)} problem(s)")
    return 1 if errors else 0
