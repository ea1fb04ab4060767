"""The ``claims`` command: one subcommand per job, each importing only what it needs."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from inference.checkpoint import ModelLoadError


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="fine-tune a classifier from a YAML config")
    add_train_arguments(p)


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="YAML run config, e.g. configs/camembert-mini.yaml")
    p.add_argument("--output-dir", help="where the model goes (overrides training.output_dir)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config key, e.g. --set training.learning_rate=3e-5 (repeatable)",
    )
    p.add_argument("--resume", action="store_true", help="continue from the last complete checkpoint")


def run_train(args: argparse.Namespace) -> int:
    from .train import main

    metrics = main(args.config, args.overrides, args.output_dir, args.resume)
    if metrics:
        summary = {
            split: {k: round(metrics[split][k], 4) for k in ("accuracy", "macro_f1", "weighted_f1", "mcc")}
            for split in ("validation", "dev", "test")
            if split in metrics
        }
        print(json.dumps(summary, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claims", description="French news claim classifier")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    from inference.cli import add_predict_arguments

    add_predict_arguments(sub.add_parser("predict", help="classify sentences or articles from a file or stdin"))
    p = sub.add_parser("evaluate", help="evaluation report: metrics with CIs, plots, errors, baselines, calibration")
    p.add_argument("--model", required=True, help="model directory")
    p.add_argument("--data", help="a labelled JSONL/CSV file (instead of --split)")
    p.add_argument(
        "--split",
        choices=["train", "validation", "dev", "test"],
        help="a split the model was trained with, from its run_config.yaml (default: test; dev: the real-style set)",
    )
    p.add_argument("--out", required=True, help="report directory")
    p.add_argument("--no-calibrate", action="store_true", help="do not fit a temperature on validation")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for confidence intervals")
    p = sub.add_parser("compare", help="one table across evaluation reports, with paired significance tests")
    p.add_argument("reports", nargs="+", help="report directories written by claims evaluate")
    p = sub.add_parser("export", help="export a model to ONNX (and int8) beside its weights")
    p.add_argument("--model", required=True, help="model directory")
    p.add_argument("--quantize", choices=["int8"], help="also write a dynamically quantized int8 model")
    p.add_argument("--opset", type=int, default=17)
    p = sub.add_parser("convert", help="write model.safetensors from a trusted folder's pytorch_model.bin")
    p.add_argument("--model", required=True, help="model directory holding pytorch_model.bin")
    p = sub.add_parser("validate-data", help="check the corpus files and print their statistics")
    p.add_argument("--data-dir", default="data/claims")
    p.add_argument("--stats-out", help="also write the statistics as Markdown to this file")
    p.add_argument("--update-card", action="store_true", help="rewrite the statistics block of DATACARD.md")
    return parser


# Modules of the ``train`` extra: without them, a subcommand says what to install instead of a traceback.
TRAIN_EXTRA_MODULES = {"datasets", "evaluate", "accelerate", "sklearn", "matplotlib", "yaml", "sentencepiece",
                       "pyarrow", "scipy"}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ModuleNotFoundError as error:
        if args.debug or (error.name or "").split(".")[0] not in TRAIN_EXTRA_MODULES:
            raise
        print(
            f"claims {args.command}: error: {error.name} is not installed; this command needs the train extras: "
            'pip install "claims-fr[train]"',
            file=sys.stderr,
        )
        return 2
    except (ValueError, OSError, ModelLoadError) as error:
        if args.debug:
            raise
        print(f"claims {args.command}: error: {error} (--debug shows the traceback)", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    """Run one subcommand, importing only what it needs."""
    if args.command == "train":
        return run_train(args)
    if args.command == "predict" and args.output_dir:
        from .deploy.batch import run_batch

        return run_batch(args)
    if args.command == "predict":
        from inference.cli import run_predict

        return run_predict(args)
    if args.command == "evaluate":
        from .evaluation.report import run_evaluate

        return run_evaluate(args)
    if args.command == "compare":
        from .evaluation.compare import run_compare

        return run_compare(args.reports)
    if args.command == "export":
        from .deploy.export import run_export

        return run_export(args)
    if args.command == "validate-data":
        from .corpus.checks import run_validation

        return run_validation(args.data_dir, args.stats_out, args.update_card)
    if args.command == "convert":
        from .convert import convert_to_safetensors

        print(f"wrote {convert_to_safetensors(args.model)}")
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
