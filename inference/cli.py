"""``claims predict``: classify lines, a JSONL/CSV text column, or whole articles; JSON lines or CSV out.

Input rows keep their other columns in the output (an id, a gold label...), and ``--output`` writes the
format its extension names. The text column defaults to the one the model was trained with.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .checkpoint import ModelLoadError, resolve_model_dir
from .inputs import csv_delimiter, input_format, iter_records
from .outputs import PREDICTION_FIELDS, RowWriter, output_format, rounded
from .tables import parse_delimiter

CHUNK = 512  # rows classified per call: bounded memory on large files, full batches for speed
DEFAULT_SHARD_SIZE = 10000


def add_predict_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", nargs="?", default="-", help="input file, or - for stdin (default)")
    p.add_argument("--model", help="model directory (default: $CLAIMS_MODEL, else outputs/claims-mini)")
    p.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        help="input format (default: from the extension; parquet needs --output-dir)",
    )
    p.add_argument("--format", choices=INPUT_FORMATS, action=_DeprecatedFormat, help=argparse.SUPPRESS)
    p.add_argument(
        "--text-column", help="column holding the text in JSONL/CSV input (default: the model's own, else text)"
    )
    p.add_argument(
        "--label-column",
        help="column holding a gold label in JSONL/CSV input: each output row gets correct: true/false",
    )
    p.add_argument("--delimiter", help="CSV delimiter: ',' ';' 'tab' or '|' (default: detected from the header)")
    p.add_argument("--document", action="store_true", help="treat each input as an article: split into sentences")
    p.add_argument(
        "--output",
        "-o",
        help="write here instead of stdout: .csv/.tsv writes CSV (with the input's delimiter), .jsonl JSON lines; "
        "the input's other columns are carried through",
    )
    p.add_argument(
        "--accept-any-labels", action="store_true", help="run a model trained on labels other than the claim labels"
    )
    p.add_argument(
        "--batch-size", type=int, help="at most N sentences per forward pass (default 32 on CPU, 1024 on CUDA)"
    )
    p.add_argument(
        "--max-tokens", type=int, help="at most N padded tokens per forward pass (default 2048 on CPU, 65536 on CUDA)"
    )
    p.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: CUDA when available)")
    p.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16", "fp16"],
        default="auto",
        help="torch backend: auto = bf16 on GPUs that have it (fp16 on older ones), fp32 on CPU",
    )
    p.add_argument("--backend", choices=["auto", "torch", "onnx"], default="auto")
    p.add_argument(
        "--no-lexical",
        action="store_true",
        help="score with the encoder alone, without the model's n-gram channel (lexical.json): faster on a GPU",
    )
    p.add_argument("--max-length", type=int, help="token limit per text (default: the model's own)")
    p.add_argument(
        "--onnx-file", help="ONNX file of the model folder to run, e.g. model.int8.onnx (implies --backend onnx)"
    )
    batch = p.add_argument_group("batch mode (corpus scale; needs the train extras)")
    batch.add_argument(
        "--output-dir",
        help="write shards and the merged predictions.jsonl here; input may be "
        "a file or, with --document, a folder of *.txt articles",
    )
    batch.add_argument(
        "--shard-size",
        type=int,
        help=f"input rows (articles with --document) per shard (default {DEFAULT_SHARD_SIZE})",
    )
    batch.add_argument("--resume", action="store_true", help="keep the complete shards of an earlier run")
    batch.add_argument(
        "--processes",
        type=int,
        default=1,
        help="run N processes (one per GPU, or CPU processes) through accelerate launch",
    )


INPUT_FORMATS = ["text", "jsonl", "csv", "parquet"]


class _DeprecatedFormat(argparse.Action):
    """``--format`` named the input format, which read like the output's: kept as an alias, with a warning."""

    def __call__(self, parser, namespace, values, option_string=None):
        warnings.warn("--format is deprecated: use --input-format (the output format follows --output)", stacklevel=2)
        print("claims predict: warning: --format is deprecated; use --input-format", file=sys.stderr)
        namespace.input_format = values


def model_text_column(model: str | None) -> str:
    """The text column the model was trained with (its ``run_config.yaml``), else ``text``."""
    try:
        run_config = resolve_model_dir(model) / "run_config.yaml"
    except ModelLoadError:
        return "text"
    if not run_config.is_file():
        return "text"
    import yaml  # a transformers dependency; only needed here

    data = (yaml.safe_load(run_config.read_text(encoding="utf-8")) or {}).get("data") or {}
    return str(data.get("text_column") or "text")


def predict_argv(args: argparse.Namespace) -> list[str]:
    """The ``claims predict`` arguments that reproduce ``args``, without ``--processes``."""
    argv = [args.input]
    for option, value in (
        ("--model", args.model),
        ("--input-format", args.input_format),
        ("--text-column", args.text_column),
        ("--delimiter", args.delimiter),
        ("--output", args.output),
        ("--batch-size", args.batch_size),
        ("--max-tokens", args.max_tokens),
        ("--device", args.device),
        ("--precision", args.precision),
        ("--backend", args.backend),
        ("--onnx-file", args.onnx_file),
        ("--max-length", args.max_length),
        ("--output-dir", args.output_dir),
        ("--shard-size", args.shard_size),
    ):
        if value is not None:
            argv += [option, str(value)]
    flags = ["--document"] * args.document + ["--resume"] * args.resume + ["--no-lexical"] * args.no_lexical
    return argv + flags + ["--accept-any-labels"] * args.accept_any_labels


def run_predict(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from .predictor import Classifier

    # Batch mode lives in training/deploy/batch.py (accelerate, pyarrow); this module stays thin.
    if getattr(args, "output_dir", None):
        raise ValueError("--output-dir (batch mode) runs through `claims predict`, which needs the train extras")
    batch_only = {
        "--processes": getattr(args, "processes", 1) > 1,
        "--resume": getattr(args, "resume", False),
        "--shard-size": getattr(args, "shard_size", None) is not None,
    }
    for option, used in batch_only.items():
        if used:
            raise ValueError(f"{option} applies to batch mode only: add --output-dir DIR")
    fmt = input_format(args.input, args.input_format)
    if fmt == "parquet":
        raise ValueError(f"{args.input}: Parquet input is read in batch mode only; add --output-dir DIR")
    output_format(args.output)  # an unknown extension fails before the model loads
    delimiter = parse_delimiter(args.delimiter)
    text_column = args.text_column or model_text_column(args.model)
    if args.label_column and (fmt == "text" or args.document):
        raise ValueError("--label-column needs JSONL or CSV input of sentences (not text lines or --document)")
    classifier = Classifier(
        args.model,
        device=args.device,
        batch_size=args.batch_size,
        max_tokens=args.max_tokens,
        precision=args.precision,
        backend=args.backend,
        onnx_file=args.onnx_file,
        max_length=args.max_length,
        accept_any_labels=args.accept_any_labels,
        lexical=not args.no_lexical,
    )
    with RowWriter(args.output, csv_delimiter(args.input, fmt, delimiter)) as out:
        if args.document and fmt == "text":
            # A plain-text input is one article: read it whole so sentences can span line breaks.
            text = sys.stdin.read() if args.input == "-" else Path(args.input).read_text(encoding="utf-8")
            _write_document(out, {"source": args.input}, classifier.predict_document(text))
            return 0
        rows = iter_records(args.input, fmt, text_column, delimiter)
        carry = _Carrier(text_column if args.document else None)
        progress = tqdm(desc="classifying", unit=" rows", disable=args.input == "-", file=sys.stderr)
        try:
            for chunk in _chunks(rows, max(CHUNK, 8 * classifier.batch_size)):  # GPU: 8,192 rows per call
                if args.document:
                    for number, text, row in chunk:
                        _write_document(out, {"line": number, **carry(row)}, classifier.predict_document(text))
                else:
                    predictions = classifier.predict([text for _, text, _ in chunk])
                    for (number, text, row), p in zip(chunk, predictions):
                        fields = carry(row) if row is not None else {"text": text}
                        gold = _gold(row, args.label_column, p.label, args.input, number) if args.label_column else {}
                        out.write({"line": number, **fields, **rounded(p), **gold})
                out.flush()
                progress.update(len(chunk))
        finally:
            progress.close()
    return 0


def _gold(row: dict, column: str, predicted: str, name: str, number: int) -> dict:
    """``{"correct": bool}``: the prediction against the row's gold label."""
    if column not in row:
        raise ValueError(f"{name}:{number}: missing column {column!r} (found {sorted(row)}); --label-column names it")
    return {"correct": row[column] == predicted}


def _write_document(out: RowWriter, head: dict, doc) -> None:
    """One JSON record per article, or one CSV row per sentence (CSV has no nesting)."""
    if out.format == "jsonl":
        sentences = [{k: v for k, v in s.to_dict().items() if k not in PREDICTION_FIELDS} | rounded(s.prediction)
                     for s in doc.sentences]  # fmt: skip
        out.write({**head, "sentences": sentences, "counts": dict(doc.counts)})
        return
    for number, s in enumerate(doc.sentences):
        out.write(
            {**head, "sentence": number, "start": s.start, "end": s.end, "text": s.text, **rounded(s.prediction)}
        )


class _Carrier:
    """The input row's columns for the output; one that would collide with an output field gets ``input_``."""

    SENTENCE_FIELDS = {"line", *PREDICTION_FIELDS}
    DOCUMENT_FIELDS = SENTENCE_FIELDS | {"sentences", "counts", "sentence", "start", "end", "text"}

    def __init__(self, skip: str | None) -> None:
        self.skip = skip  # the article text in document mode: its sentences are in the output already
        self.reserved = self.DOCUMENT_FIELDS if skip is not None else self.SENTENCE_FIELDS
        self.warned: set[str] = set()

    def __call__(self, row: dict | None) -> dict:
        carried = {}
        for key, value in (row or {}).items():
            if key == self.skip:
                continue
            if key in self.reserved or key.startswith("score_"):
                if key not in self.warned:
                    print(f"claims predict: input column {key!r} is written as 'input_{key}'", file=sys.stderr)
                    self.warned.add(key)
                key = f"input_{key}"
            carried[key] = value
        return carried


def _chunks(rows, size: int):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inference", description="classify French news sentences")
    add_predict_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_predict(args)
    except (OSError, ValueError, TypeError, ModelLoadError) as error:
        print(f"predict: error: {error}", file=sys.stderr)
        return 2
