"""``claims predict``: classify lines, a JSONL/CSV ``text`` column, or whole articles; streams JSONL."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from .checkpoint import ModelLoadError

CHUNK = 512  # rows classified per call: bounded memory on large files, full batches for speed
DEFAULT_SHARD_SIZE = 10000


def add_predict_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", nargs="?", default="-", help="input file, or - for stdin (default)")
    p.add_argument("--model", help="model directory (default: $CLAIMS_MODEL, else outputs/claims-mini)")
    p.add_argument(
        "--format",
        choices=["text", "jsonl", "csv", "parquet"],
        help="input format (default: from the extension; parquet needs --output-dir)",
    )
    p.add_argument("--text-column", default="text", help="column holding the text in JSONL/CSV input")
    p.add_argument("--document", action="store_true", help="treat each input as an article: split into sentences")
    p.add_argument("--output", "-o", help="write JSONL here instead of stdout")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: CUDA when available)")
    p.add_argument("--backend", choices=["auto", "torch", "onnx"], default="auto")
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


def predict_argv(args: argparse.Namespace) -> list[str]:
    """The ``claims predict`` arguments that reproduce ``args``, without ``--processes``."""
    argv = [args.input]
    for option, value in (
        ("--model", args.model),
        ("--format", args.format),
        ("--text-column", args.text_column),
        ("--output", args.output),
        ("--batch-size", args.batch_size),
        ("--device", args.device),
        ("--backend", args.backend),
        ("--onnx-file", args.onnx_file),
        ("--max-length", args.max_length),
        ("--output-dir", args.output_dir),
        ("--shard-size", args.shard_size),
    ):
        if value is not None:
            argv += [option, str(value)]
    return argv + ["--document"] * args.document + ["--resume"] * args.resume


def input_format(source: str, fmt: str | None) -> str:
    """The explicit format, else one guessed from the file extension (text for stdin)."""
    if fmt is not None:
        return fmt
    suffixes = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
    return suffixes.get(Path(source).suffix.lower(), "text")


def iter_inputs(source: str, fmt: str | None, text_column: str = "text") -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)``; blank lines of a text file are skipped (they separate paragraphs)."""
    fmt = input_format(source, fmt)
    if fmt == "parquet":
        raise ValueError(f"{source}: Parquet input is read in batch mode only; add --output-dir DIR")
    handle = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
    name = "<stdin>" if source == "-" else source
    lines = _decoded_lines(handle, name)
    try:
        if fmt == "text":
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield number, line.rstrip("\r\n")
        elif fmt == "jsonl":
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{name}:{number}: invalid JSON: {error.msg}") from None
                yield number, _text_field(row, text_column, name, number)
        else:
            reader = csv.DictReader(lines)
            for row in reader:
                yield reader.line_num, _text_field(row, text_column, name, reader.line_num)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _decoded_lines(handle, name: str) -> Iterator[str]:
    """Lines decoded as UTF-8 (a BOM is dropped); invalid bytes raise ``ValueError`` naming file and line."""
    for number, raw in enumerate(handle, 1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"{name}:{number}: not valid UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1}); "
                "re-save the file as UTF-8"
            ) from None
        yield line


def _text_field(row, column: str, name: str, number: int) -> str:
    if not isinstance(row, dict) or column not in row:
        raise ValueError(f"{name}:{number}: missing column {column!r}")
    text = row[column]
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name}:{number}: {column!r} must be a non-empty string")
    return text


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
    if input_format(args.input, args.format) == "parquet":
        raise ValueError(f"{args.input}: Parquet input is read in batch mode only; add --output-dir DIR")
    classifier = Classifier(
        args.model,
        device=args.device,
        batch_size=args.batch_size,
        backend=args.backend,
        onnx_file=args.onnx_file,
        max_length=args.max_length,
    )
    if args.document and input_format(args.input, args.format) == "text":
        # A plain-text input is one article: read it whole so sentences can span line breaks.
        text = sys.stdin.read() if args.input == "-" else Path(args.input).read_text(encoding="utf-8")
        doc = classifier.predict_document(text)
        line = json.dumps({"source": args.input, **doc.to_dict()}, ensure_ascii=False)
        if args.output:
            Path(args.output).write_text(line + "\n", encoding="utf-8")
        else:
            print(line)
        return 0
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    rows = iter_inputs(args.input, args.format, args.text_column)
    progress = tqdm(desc="classifying", unit=" rows", disable=args.input == "-", file=sys.stderr)
    try:
        for chunk in _chunks(rows, CHUNK):
            if args.document:
                for number, text in chunk:
                    doc = classifier.predict_document(text)
                    out.write(json.dumps({"line": number, **doc.to_dict()}, ensure_ascii=False) + "\n")
            else:
                predictions = classifier.predict([text for _, text in chunk])
                for (number, text), p in zip(chunk, predictions):
                    out.write(json.dumps({"line": number, "text": text, **p.to_dict()}, ensure_ascii=False) + "\n")
            out.flush()
            progress.update(len(chunk))
    finally:
        progress.close()
        if out is not sys.stdout:
            out.close()
    return 0


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
