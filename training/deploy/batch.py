"""Corpus-scale ``claims predict --output-dir``: streamed input, atomic shards, resume, several processes.

Input rows (articles with ``--document``) are numbered 0..N-1 in file order and shard ``k`` holds rows
``[k*S, (k+1)*S)``. With ``W`` processes, rank ``r`` classifies the shards with ``k % W == r`` while
streaming the whole input, so memory stays flat as the input grows and the merged output does not depend
on ``W``. Shards go to ``OUT/shards/part-{k:05d}.jsonl`` through a temporary file and ``os.replace``;
rank 0 then concatenates them into ``OUT/predictions.jsonl`` (and ``OUT/articles.jsonl`` in document mode).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from inference.checkpoint import model_fingerprint
from inference.cli import DEFAULT_SHARD_SIZE, model_text_column
from inference.inputs import input_format, iter_inputs
from inference.lexical import LexicalChannel
from inference.predictor import TruncationWarning
from inference.tables import parse_delimiter

from ..atomic import atomic_write_text
from .launch import launch_command

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_FIELDS = (
    "input", "input_size", "input_mtime_ns", "format", "mode", "text_column", "shard_size",
    "model", "model_files", "backend", "onnx_file", "max_length", "precision", "lexical",
)  # fmt: skip
MERGE_LOCK = ".merge.lock"
MIN_CHUNK = 512  # sentences per predict() call: bounded memory, full batches


def run_batch(args: argparse.Namespace) -> int:
    """Classify ``args.input`` into ``args.output_dir`` (see the module docstring); returns an exit code."""
    # 1. --processes N re-launches this command under accelerate, once.
    if args.processes > 1 and "LOCAL_RANK" not in os.environ:
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        return subprocess.call(launch_command(args), env={**os.environ, "PYTHONPATH": path})
    # 2. Check the input; counting the rows also validates every one of them, on every rank.
    if args.shard_size is None:
        args.shard_size = DEFAULT_SHARD_SIZE
    args.text_column = args.text_column or model_text_column(args.model)
    source, fmt = _check_arguments(args)
    articles = _article_files(source, fmt) if args.document and fmt in ("folder", "text") else None
    delimiter = parse_delimiter(args.delimiter)
    total = len(articles) if articles is not None else count_rows(source, fmt, args.text_column, delimiter)
    n_shards = -(-total // args.shard_size)
    # 3. Every rank checks the manifest (so all fail alike); rank 0 writes it and clears stale files, so that
    #    predictions.jsonl exists only once a run has completed.
    import torch
    from accelerate import PartialState

    from inference.checkpoint import resolve_model_dir

    state = PartialState(cpu=not torch.cuda.is_available())  # without cpu=True a CPU launch stays 1 process
    if state.num_processes != int(os.environ.get("WORLD_SIZE", 1)):
        raise RuntimeError(f"launched as {os.environ['WORLD_SIZE']} processes but joined {state.num_processes}")
    out, model = Path(args.output_dir), resolve_model_dir(args.model).resolve()
    shards = out / "shards"
    manifest = build_manifest(source, fmt, args, model)
    if args.resume:
        check_manifest(out / "manifest.json", manifest)
    if state.is_main_process:
        shards.mkdir(parents=True, exist_ok=True)
        stale = [*shards.glob(".part-*"), out / "predictions.jsonl", out / "articles.jsonl", out / MERGE_LOCK]
        for path in stale + ([] if args.resume else list(shards.glob("part-*.jsonl"))):
            path.unlink(missing_ok=True)
        atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    state.wait_for_everyone()
    # 4. Classify this rank's shards that are not complete yet.
    mine = range(state.process_index, n_shards, state.num_processes)
    pending = [k for k in mine if not (args.resume and shard_path(shards, k).exists())]
    if pending:
        classifier = _load_classifier(args, model, state)
        column = args.text_column
        rows = _iter_articles(articles) if articles is not None else iter_rows(source, fmt, column, delimiter)
        _classify_shards(classifier, rows, pending, shards, args, total, state.is_main_process)
    # 5. No final barrier (a process-group wait times out after 10-30 min when shards are uneven): whichever
    #    process finds every shard written after writing its own merges them in order, once.
    if _claim_merge(shards, n_shards, out):
        merge_shards(shards, n_shards, out, document=args.document)
        done = {
            "articles" if args.document else "rows": total,
            "shards": n_shards,
            "output": str(out / "predictions.jsonl"),
        }
        print(json.dumps(done, ensure_ascii=False))
    if state.num_processes > 1:
        state.destroy_process_group()
    return 0


def _claim_merge(shards: Path, n_shards: int, out: Path) -> bool:
    """True for the one process that should merge: every shard exists and it created the merge lock first."""
    if not all(shard_path(shards, k).exists() for k in range(n_shards)):
        return False  # a process still working will find them all when it finishes
    try:
        os.close(os.open(out / MERGE_LOCK, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _check_arguments(args: argparse.Namespace) -> tuple[Path, str]:
    if args.input == "-":
        raise ValueError("--output-dir (batch mode) reads a file or a folder, not stdin")
    if args.output:
        raise ValueError("--output and --output-dir exclude each other; the merged file is OUT/predictions.jsonl")
    if getattr(args, "label_column", None):
        raise ValueError("--label-column applies without --output-dir (batch mode writes no correct field)")
    if args.shard_size < 1:
        raise ValueError(f"--shard-size must be a positive integer, got {args.shard_size}")
    source = Path(args.input)
    if not source.exists():
        raise FileNotFoundError(f"input not found: {source}")
    if source.is_dir() and not args.document:
        raise ValueError(f"{source} is a folder: add --document to classify its *.txt articles")
    return source, "folder" if source.is_dir() else input_format(args.input, args.input_format)


def _article_files(source: Path, fmt: str) -> list[Path]:
    """A folder's ``*.txt`` files in name order, or a single text file as one article."""
    if fmt != "folder":
        return [source]
    files = sorted(p for p in source.iterdir() if p.suffix == ".txt" and p.is_file())
    if not files:
        raise ValueError(f"{source}: no *.txt article files in this folder")
    return files


def count_rows(source: Path, fmt: str, text_column: str = "text", delimiter: str | None = None) -> int:
    """Rows in the input (Parquet: from its metadata; otherwise a validating streaming pass)."""
    if fmt == "parquet":
        parquet = _parquet_file(source, text_column)
        return parquet.metadata.num_rows
    return sum(1 for _ in iter_inputs(str(source), fmt, text_column, delimiter))


def iter_rows(
    source: Path, fmt: str, text_column: str = "text", delimiter: str | None = None
) -> Iterator[tuple[int, str]]:
    """Yield ``(line, text)`` in file order: the source line (row index for Parquet) and the text."""
    if fmt != "parquet":
        yield from iter_inputs(str(source), fmt, text_column, delimiter)
        return
    row = 0
    for batch in _parquet_file(source, text_column).iter_batches(batch_size=4096, columns=[text_column]):
        for text in batch.column(0).to_pylist():
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{source}: row {row}: {text_column!r} must be a non-empty string, got {text!r:.60}")
            yield row, text
            row += 1


def _parquet_file(source: Path, text_column: str):
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(source)
    columns = parquet.schema_arrow.names
    if text_column not in columns:
        raise ValueError(f"{source}: missing column {text_column!r} (columns: {', '.join(columns)})")
    return parquet


def _iter_articles(files: list[Path]) -> Iterator[tuple[str, Path]]:
    return ((path.name, path) for path in files)  # read lazily: only the owning rank opens a file


def build_manifest(source: Path, fmt: str, args: argparse.Namespace, model: Path) -> dict:
    """What a resumed run must share with the first: input identity, model, sharding, mode."""
    files = _article_files(source, fmt) if fmt == "folder" else [source]
    stats = [path.stat() for path in files]
    return {
        "input": str(source.resolve()),
        "input_size": sum(s.st_size for s in stats),
        "input_mtime_ns": max(s.st_mtime_ns for s in stats),
        "format": fmt,
        "mode": "document" if args.document else "sentences",
        "text_column": args.text_column,
        "shard_size": args.shard_size,
        "model": str(model),
        "model_files": model_fingerprint(model),
        "backend": args.backend,
        "onnx_file": args.onnx_file,
        "max_length": args.max_length,
        "precision": getattr(args, "precision", "auto"),
        # Only when the model's n-gram channel is used, so manifests of models without one stay as they were.
        **({"lexical": True} if LexicalChannel.present(model) and not getattr(args, "no_lexical", False) else {}),
    }


def check_manifest(path: Path, manifest: dict) -> None:
    """Raise ``ValueError`` naming the first field where ``path`` differs from ``manifest`` (absent: fine)."""
    if not path.exists():
        return
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: unreadable manifest ({error.msg}); rerun without --resume") from None
    for field in MANIFEST_FIELDS:
        before, now = previous.get(field), manifest.get(field)
        if before != now and isinstance(before, dict) and isinstance(now, dict):
            name = next(k for k in sorted({*before, *now}) if before.get(k) != now.get(k))
            field, before, now = f"{field}[{name!r}]", before.get(name, "absent"), now.get(name, "absent")
        if before != now:
            raise ValueError(
                f"cannot resume: {field} differs from {path} ({before!r} there, {now!r} now); rerun without "
                "--resume to start over, or use another --output-dir"
            )


def shard_path(shards: Path, k: int) -> Path:
    return shards / f"part-{k:05d}.jsonl"


def _load_classifier(args: argparse.Namespace, model: Path, state):
    import torch

    from inference import Classifier

    device = args.device
    if device in (None, "cuda") and torch.cuda.is_available():
        device = f"cuda:{state.local_process_index}"  # one GPU per process
    return Classifier(
        model,
        device=device or "cpu",
        batch_size=args.batch_size,
        max_tokens=getattr(args, "max_tokens", None),
        precision=getattr(args, "precision", "auto"),
        backend=args.backend,
        onnx_file=args.onnx_file,
        max_length=args.max_length,
        accept_any_labels=getattr(args, "accept_any_labels", False),
        lexical=not getattr(args, "no_lexical", False),
    )


def _classify_shards(classifier, rows, pending: list[int], shards: Path, args, total: int, show: bool) -> None:
    """Stream ``rows``, classifying the shards in ``pending``; each is written atomically when complete."""
    from tqdm import tqdm

    size = args.shard_size
    todo = sum(min(size, total - k * size) for k in pending)
    progress = tqdm(
        total=todo,
        unit=" article" if args.document else " sent",
        disable=not show,
        smoothing=0.1,
        desc="articles" if args.document else "sentences",
        dynamic_ncols=True,
    )
    # Several of the classifier's tokenisation chunks per call, so that on a GPU all but the first are tokenised
    # while the previous one runs (32 x 1024 sentences on CUDA; 1024 on the CPU).
    chunk_size = max(MIN_CHUNK, 32 * classifier.batch_size)
    left, sentences, started = set(pending), 0, time.perf_counter()
    truncated_before = classifier.truncated_total
    with progress, warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncationWarning)  # one warning for the run, below, not one per chunk
        for k, group in itertools.groupby(enumerate(rows), key=lambda item: item[0] // size):
            if k not in left:
                continue
            final = shard_path(shards, k)
            tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
            with tmp.open("w", encoding="utf-8") as handle:
                for chunk in _chunks(group, chunk_size, args.document):
                    lines = _document_lines(classifier, chunk) if args.document else _sentence_lines(classifier, chunk)
                    handle.writelines(lines)
                    sentences += len(lines)
                    progress.update(len(chunk))
                    if args.document:
                        progress.set_postfix_str(f"{sentences / (time.perf_counter() - started):.0f} sent/s")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, final)
            left.discard(k)
            if not left:
                break
    truncated = classifier.truncated_total - truncated_before
    if truncated:
        warnings.warn(
            f"{truncated} of {sentences} sentence(s) exceeded {classifier.max_length} tokens and were "
            "truncated to their beginning",
            TruncationWarning,
            stacklevel=2,
        )


def _chunks(group, size: int, document: bool):
    """Runs of rows holding about ``size`` sentences (document mode: whole articles, read here)."""
    chunk, weight = [], 0
    for index, (key, value) in group:
        if document:
            value = _split_article(key, value)
        chunk.append((index, key, value))
        weight += len(value) if document else 1
        if weight >= size:
            yield chunk
            chunk, weight = [], 0
    if chunk:
        yield chunk


def _split_article(name, value) -> list:
    from inference.splitter import split_sentences

    if isinstance(value, Path):
        try:
            value = value.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{value}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    sentences = split_sentences(value)
    if not sentences:
        raise ValueError(f"article {name}: empty or blank text")
    return sentences


def _sentence_lines(classifier, chunk) -> list[str]:
    predictions = classifier.predict([text for _, _, text in chunk])
    return [
        json.dumps({"row": index, "line": line, "text": text, **p.to_dict()}, ensure_ascii=False) + "\n"
        for (index, line, text), p in zip(chunk, predictions)
    ]


def _document_lines(classifier, chunk) -> list[str]:
    predictions = iter(classifier.predict([s.text for _, _, spans in chunk for s in spans]))
    return [
        json.dumps(
            {
                "article": name,
                "sentence": j,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                **next(predictions).to_dict(),
            },
            ensure_ascii=False,
        )
        + "\n"
        for _, name, spans in chunk
        for j, s in enumerate(spans)
    ]


def merge_shards(shards: Path, n_shards: int, out: Path, document: bool = False) -> None:
    """Concatenate the shards in order into ``out/predictions.jsonl`` (+ ``articles.jsonl``), atomically."""
    missing = [shard_path(shards, k).name for k in range(n_shards) if not shard_path(shards, k).exists()]
    if missing:
        raise RuntimeError(f"{shards}: {len(missing)} shard(s) missing after the run, e.g. {missing[0]}")
    targets = [out / "predictions.jsonl"] + ([out / "articles.jsonl"] if document else [])
    tmps = [path.with_name(f".{path.name}.tmp-{os.getpid()}") for path in targets]
    handles = [tmp.open("w", encoding="utf-8") for tmp in tmps]
    try:
        summary = _ArticleSummary(handles[1]) if document else None
        for k in range(n_shards):
            with shard_path(shards, k).open(encoding="utf-8") as shard:
                for line in shard:
                    handles[0].write(line)
                    if summary is not None:
                        summary.add(json.loads(line))
        if summary is not None:
            summary.flush()
        for handle in handles:
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        for handle in handles:
            handle.close()
    for tmp, path in zip(tmps, targets):
        os.replace(tmp, path)


class _ArticleSummary:
    """Per article: sentence count, counts and shares per label, and per label its top-scoring sentence.

    The top sentence of a label is the one predicted as that label with the highest score (None when no
    sentence of the article carries the label). Articles arrive contiguously, so one is held at a time.
    """

    def __init__(self, handle) -> None:
        self.handle, self.article, self.rows = handle, None, []

    def add(self, row: dict) -> None:
        if row["article"] != self.article:
            self.flush()
            self.article = row["article"]
        self.rows.append(row)

    def flush(self) -> None:
        if not self.rows:
            return
        labels = list(self.rows[0]["scores"])
        counts = {label: sum(r["label"] == label for r in self.rows) for label in labels}
        top = {}
        for label in labels:
            best = max((r for r in self.rows if r["label"] == label), key=lambda r: r["score"], default=None)
            top[label] = best and {"sentence": best["sentence"], "text": best["text"], "score": best["score"]}
        record = {
            "article": self.article,
            "sentences": len(self.rows),
            "counts": counts,
            "shares": {label: c / len(self.rows) for label, c in counts.items()},
            "top": top,
        }
        self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.rows = []
