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
    p.add_argument("--overwrite", action="store_true", help="replace the model in a non-empty --output-dir")
    own = p.add_argument_group("your own data (shorthands for --set data.KEY=VALUE; --set wins)")
    own.add_argument(
        "--train-file",
        help="a labelled CSV/JSONL file; without --validation-file, 20%% of each label is held out for "
        "validation, and there is no test split without --test-file",
    )
    own.add_argument("--validation-file", help="labelled file for model selection")
    own.add_argument("--test-file", help="labelled file scored once at the end")
    own.add_argument("--dev-file", help="labelled development set scored at the end, never trained on")
    add_column_arguments(own)


def add_column_arguments(p) -> None:
    """--text-column, --label-column and --delimiter, shared by train, check-data and evaluate."""
    p.add_argument("--text-column", help="column holding the sentence (default: text, or the model's own)")
    p.add_argument("--label-column", help="column holding the label (default: label, or the model's own)")
    p.add_argument("--delimiter", help="CSV delimiter: ',' ';' 'tab' or '|' (default: detected from the header)")


def data_overrides(args: argparse.Namespace) -> list[str]:
    """``--set`` items equivalent to the own-data flags of ``claims train``."""
    values = {
        "train_file": args.train_file,
        "validation_file": args.validation_file,
        "test_file": args.test_file,
        "dev_file": args.dev_file,
        "text_column": args.text_column,
        "label_column": args.label_column,
        "delimiter": args.delimiter,
    }
    items = [f"data.{key}={json.dumps(value)}" for key, value in values.items() if value is not None]
    if args.train_file:
        # The bundled validation, test and dev sets do not fit another training file.
        items += [f"data.{key}=null" for key in ("validation_file", "test_file", "dev_file") if values[key] is None]
    return items


def run_train(args: argparse.Namespace) -> int:
    from .train import main

    overrides = data_overrides(args) + args.overrides
    metrics = main(args.config, overrides, args.output_dir, args.resume, args.overwrite)
    if metrics:
        summary = {
            split: {k: round(metrics[split][k], 4) for k in ("accuracy", "macro_f1", "weighted_f1", "mcc")}
            for split in ("validation", "dev", "test")
            if split in metrics
        }
        print(json.dumps(summary, indent=2))
        resumed = metrics["training"].get("resumed_from")
        if args.resume:
            print(f"resumed from {resumed}" if resumed else "--resume: no checkpoint to resume from; trained afresh")
        warning = metrics.get("baselines", {}).get("warning")
        if warning:
            print(f"WARNING: {warning}", file=sys.stderr)
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
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="fit a temperature on the validation split and write calibration.json into the model folder, "
        "only when it lowers the validation ECE (without it the model folder is never changed)",
    )
    p.add_argument("--no-calibrate", action="store_true", help=argparse.SUPPRESS)  # the default now
    add_column_arguments(p)
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for confidence intervals")
    p = sub.add_parser("compare", help="one table across evaluation reports, with paired significance tests")
    p.add_argument("reports", nargs="+", help="report directories written by claims evaluate")
    p = sub.add_parser("export", help="export a model to ONNX (and int8) beside its weights")
    p.add_argument("--model", required=True, help="model directory")
    p.add_argument("--quantize", choices=["int8"], help="also write a dynamically quantized int8 model")
    p.add_argument("--opset", type=int, default=17)
    p = sub.add_parser("convert", help="write model.safetensors from a trusted folder's pytorch_model.bin")
    p.add_argument("--model", required=True, help="model directory holding pytorch_model.bin")
    p = sub.add_parser(
        "check-data",
        help="check your own labelled files in one pass: every bad row, duplicates, overlaps, class counts, length",
    )
    p.add_argument("files", nargs="*", help="CSV/JSONL files, training file first (default: the config's files)")
    p.add_argument("--config", help="take files, columns, labels and max_length from this run config")
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE", help="with --config"
    )
    add_column_arguments(p)
    p.add_argument("--labels", help="allowed labels, comma-separated (default: the config's, else any)")
    p.add_argument("--max-length", type=int, help="token limit to check against (default: the config's, else 128)")
    p.add_argument(
        "--tokenizer",
        help="a model folder whose tokenizer.json counts tokens exactly (default: an estimate from word counts)",
    )
    p = sub.add_parser("demo", help="a web page to try the model on an article or a file (needs the demo extra)")
    _add_demo_arguments(p)
    p = sub.add_parser("pretrain", help="masked-language pretraining of the mini encoder on the project's text")
    p.add_argument("--config", default="configs/pretrain-mini.yaml", help="YAML with model and pretrain sections")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    p = sub.add_parser("validate-data", help="check the corpus files and print their statistics")
    p.add_argument("--data-dir", default="data/claims")
    p.add_argument("--stats-out", help="also write the statistics as Markdown to this file")
    p.add_argument("--update-card", action="store_true", help="rewrite the statistics block of DATACARD.md")
    return parser


def _add_demo_arguments(p: argparse.ArgumentParser) -> None:
    """``claims demo``'s options, without importing gradio (``demo.app`` would) so that --help always works."""
    p.add_argument("--model", help="model directory (default: $CLAIMS_MODEL, else outputs/claims-mini)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--threshold", type=float, default=0.5, help="the uncertainty slider's starting value")
    p.add_argument("--accept-any-labels", action="store_true", help="serve a model trained on other labels")


# Modules of the ``train`` extra: without them, a subcommand says what to install instead of a traceback.
TRAIN_EXTRA_MODULES = {"datasets", "evaluate", "accelerate", "sklearn", "matplotlib", "yaml", "sentencepiece",
                       "pyarrow", "scipy"}  # fmt: skip
DEMO_EXTRA_MODULES = {"gradio", "gradio_client", "pandas"}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ModuleNotFoundError as error:
        module = (error.name or "").split(".")[0]
        extra = "demo" if args.command == "demo" and module in DEMO_EXTRA_MODULES else "train"
        if args.debug or module not in (DEMO_EXTRA_MODULES if extra == "demo" else TRAIN_EXTRA_MODULES):
            raise
        print(
            f"claims {args.command}: error: {error.name} is not installed; this command needs the {extra} extras: "
            f'pip install "claims-fr[{extra}]"',
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
    if args.command == "check-data":
        from .corpus.user_data import run_check_data

        return run_check_data(args)
    if args.command == "pretrain":
        from .pretrain import main as pretrain

        metrics = pretrain(args.config, args.overrides)
        print(json.dumps({k: metrics[k] for k in ("sentences", "pieces", "seconds")} | metrics["history"][-1]))
        return 0
    if args.command == "validate-data":
        from .corpus.checks import run_validation

        return run_validation(args.data_dir, args.stats_out, args.update_card)
    if args.command == "demo":
        from demo.app import run_demo

        return run_demo(args)
    if args.command == "convert":
        from .convert import convert_to_safetensors

        print(f"wrote {convert_to_safetensors(args.model)}")
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
