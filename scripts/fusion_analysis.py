"""Where the lexical channel helps on dev_real: encoder alone, n-grams alone and fused, by difficulty, and the
sentences on which the encoder and the n-grams disagree.

    python scripts/fusion_analysis.py outputs/ablation/mlm-lexical-s1 outputs/ablation/mlm-lexical-s2 ...

Each folder is a model trained with ``model.lexical_channel: true``; figures are per model, then the mean.
``--speed`` also times the first model's channel alone on the test and dev_real sentences (three times over):
a first pass with an empty word cache, then the best of three warm passes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference import Classifier  # noqa: E402
from training.evaluation.significance import fast_macro_f1  # noqa: E402
from training.rows import read_rows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--data", default=str(ROOT / "data/claims/dev_real.jsonl"))
    parser.add_argument("--speed", action="store_true", help="time the first model's channel alone")
    args = parser.parse_args()
    if args.speed:
        channel_speed(args.models[0])
    rows = read_rows(args.data)
    texts = [r["text"] for r in rows]
    difficulty = np.array([r.get("difficulty") for r in rows])
    table = []
    for model in args.models:
        clf = Classifier(model, device="cpu")
        if clf.lexical is None:
            raise SystemExit(f"{model}: no lexical channel (lexical.json)")
        gold = np.array([clf.labels.index(r["label"]) for r in rows])
        encoder = Classifier(model, device="cpu", lexical=False).predict_logits(texts)
        systems = {
            "encoder": encoder.argmax(1),
            "n-grams": clf.lexical.log_proba(texts).argmax(1),
            "fused": clf.lexical.fuse(encoder, texts).argmax(1),
        }
        k = len(clf.labels)
        row = {"model": model, "weight": clf.lexical.weight}
        for part in ("hard", "easy"):
            mask = difficulty == part
            row |= {f"{name} {part}": fast_macro_f1(gold[mask], pred[mask], k) for name, pred in systems.items()}
        disagree = systems["encoder"] != systems["n-grams"]
        row["disagree"] = int(disagree.sum())
        row |= {f"{name} right": int((pred[disagree] == gold[disagree]).sum()) for name, pred in systems.items()}
        table.append(row)
    columns = [c for c in table[0] if c != "model"]
    print("| model | " + " | ".join(columns) + " |\n|" + "---|" * (len(columns) + 1))
    for row in table:
        print(f"| {row['model']} | " + " | ".join(_cell(row[c]) for c in columns) + " |")
    mean = {c: np.mean([row[c] for row in table]) for c in columns}
    print("| mean | " + " | ".join(_cell(float(mean[c])) for c in columns) + " |")


def channel_speed(model: str) -> None:
    from inference.lexical import LexicalChannel

    texts = [r["text"] for name in ("test", "dev_real") for r in read_rows(ROOT / f"data/claims/{name}.jsonl")] * 3
    labels = Classifier(model, device="cpu").labels
    channel = LexicalChannel.load(model, labels)
    start = time.perf_counter()
    channel.log_proba(texts)
    first = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        channel.log_proba(texts)
        warm.append(time.perf_counter() - start)
    print(f"lexical channel of {model}, {len(texts)} sentences: first pass {len(texts) / first:,.0f} sentences/s, "
          f"warm {len(texts) / min(warm):,.0f} sentences/s")  # fmt: skip


def _cell(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
