"""The ``claims`` command: one subcommand per job, each importing only what it needs."""

from __future__ import annotations

import argparse
import json
import logging
import sys


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="fine-tune a classifier from a YAML config")
    add_train_arguments(p)


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="YAML run config, e.g. configs/camembert-mini.yaml")
    p.add_argument("--output-dir", help="where the model goes (overrides training.output_dir)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override a config key, e.g. --set training.learning_rate=3e-5 (repeatable)")
    p.add_argument("--resume", action="store_true", help="continue from the last complete checkpoint")


def run_train(args: argparse.Namespace) -> int:
    from .train import main

    metrics = main(args.config, args.overrides, args.output_dir, args.resume)
    if metrics:
        summary = {split: {k: round(metrics[split][k], 4) for k in ("accuracy", "macro_f1", "weighted_f1", "mcc")}
                   for split in ("validation", "test") if split in metrics}
        print(json.dumps(summary, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claims", description="French news claim classifier")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    from inference.cli import add_predict_arguments

    add_predict_arguments(sub.add_parser("predict", help="classify sentences or articles from a file or stdin"))
    p = sub.add_parser("validate-data", help="check the corpus files and print their statistics")
    p.add_argument("--data-dir", default="data/claims")
    p.add_argument("--stats-out", help="also write the statistics as Markdown to this file")
    p.add_argument("--update-card", action="store_true", help="rewrite the statistics block of DATACARD.md")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return run_train(args)
        if args.command == "predict":
            from inference.cli import run_predict

            return run_predict(args)
        if args.command == "validate-data":
            from .corpus_checks import run_validation

            return run_validation(args.data_dir, args.stats_out, args.update_card)
    except (FileNotFoundError, ValueError, OSError) as error:
        print(f"claims {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
