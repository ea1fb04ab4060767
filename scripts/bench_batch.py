"""Batch inference at corpus scale: ``claims predict --output-dir`` with 1 and 2 processes.

Writes JSONL inputs of each size (corpus sentences from data/claims/*.jsonl, some joined in twos and
threes and cut to 5-80 words) into a temporary folder, runs ``claims predict --output-dir`` on each in a
fresh subprocess, and prints a Markdown table: sentences, processes, wall time, sentences/second (wall
time, so model loading and process start-up are included), and peak RSS in MB of the largest process
(``/usr/bin/time -v`` when present, else ``getrusage(RUSAGE_CHILDREN)`` in a wrapper process). The peak
should stay flat as the input grows: inputs are streamed and written shard by shard.

    python scripts/bench_batch.py --model outputs/claims-mini                 # 1k, 10k, 100k x 1, 2 processes
    python scripts/bench_batch.py --model DIR --sizes 200,400 --processes 1   # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
# Fallback peak-memory probe: the largest ru_maxrss among the command's processes, in a fresh parent.
RUSAGE_WRAPPER = (
    "import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
    "print('Maximum resident set size (kbytes):', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
    "file=sys.stderr); sys.exit(rc)"
)


def write_input(path: Path, n: int, seed: int = 0) -> Path:
    """``n`` news-like sentences as JSONL, written as they are drawn."""
    pool = [
        json.loads(line)["text"]
        for split in ("train", "validation", "test")
        for line in (ROOT / "data/claims" / f"{split}.jsonl").open(encoding="utf-8")
    ]
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(n):
            words = " ".join(rng.sample(pool, rng.choice([1, 1, 1, 2, 3]))).split()
            handle.write(json.dumps({"text": " ".join(words[: rng.randint(5, 80)])}, ensure_ascii=False) + "\n")
    return path


def measure(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; return its wall time in seconds and the peak RSS of its largest process in MB."""
    if Path("/usr/bin/time").exists():
        cmd = ["/usr/bin/time", "-v", *cmd]
    else:
        cmd = [sys.executable, "-c", RUSAGE_WRAPPER, *cmd]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    peak = re.findall(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return wall, int(peak[-1]) / 1024 if peak else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="outputs/claims-mini", help="model folder")
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma list of input sizes in sentences")
    parser.add_argument("--processes", default="1,2", help="comma list of process counts")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--shard-size", type=int, default=10000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    counts = [int(p) for p in args.processes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        for n in sizes:
            source = write_input(Path(tmp) / f"sentences-{n}.jsonl", n)
            for processes in counts:
                out = Path(tmp) / f"out-{n}-{processes}"
                cmd = [
                    sys.executable,
                    "-m",
                    "training.cli",
                    "predict",
                    str(source),
                    "--model",
                    args.model,
                    "--output-dir",
                    str(out),
                    "--shard-size",
                    str(args.shard_size),
                    "--batch-size",
                    str(args.batch_size),
                    "--processes",
                    str(processes),
                ]
                wall, peak = measure(cmd)
                written = sum(1 for _ in (out / "predictions.jsonl").open(encoding="utf-8"))
                if written != n:
                    raise RuntimeError(f"{out}/predictions.jsonl has {written} rows, expected {n}")
                rows.append((n, processes, wall, n / wall, peak))
                print(f"{n} sentences, {processes} process(es): {wall:.1f} s", file=sys.stderr)
                shutil.rmtree(out)
    print(f"model: {args.model}, batch size {args.batch_size}, shard size {args.shard_size}, {os.cpu_count()} CPUs\n")
    print("| sentences | processes | wall s | sentences/s | peak RSS MB (largest process) |")
    print("|---:|---:|---:|---:|---:|")
    for n, processes, wall, rate, peak in rows:
        print(f"| {n:,} | {processes} | {wall:.1f} | {rate:.0f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
