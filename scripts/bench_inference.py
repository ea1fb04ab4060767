"""Inference speed: this package's predict() against transformers.pipeline("text-classification").

Same model folder, same sentences, same batch size. The sentences are drawn from the corpus's test split and
real-style dev set (``data/claims/test.jsonl``, ``dev_real.jsonl``), so their lengths follow real copy (about 45
tokens on average with the mini tokenizer). Each measurement runs in a fresh subprocess so peak memory (max RSS)
is per backend. Reports sentences/second and tokens/second (tokens the model reads, padding excluded), median
single-sentence latency, peak RSS, the throughput ratio against ``transformers.pipeline`` and whether the
labels agree with it. ``hf-loop`` is the plain Hugging Face loop: tokenizer and model on batches in input order.
The package's backends run the encoder alone, as the pipeline does; ``torch-fused`` is ``predict()`` as shipped for
a model with a lexical channel (``lexical.json``): the encoder fused with the n-gram classifier, whose labels differ
from the pipeline's by design.

    python scripts/bench_inference.py --model outputs/claims-mini      # trained mini model
    python scripts/bench_inference.py --arch base                      # camembert-base architecture, random init
    python scripts/bench_inference.py --backends pipeline,hf-loop,torch,torch-bf16,onnx,onnx-int8 --threads 2

The ONNX backends run ``model.onnx`` / ``model.int8.onnx``; missing files are exported into the model
folder first (``claims export --model DIR --quantize int8``). "size on disk" is the weights file each
backend reads: ``model.safetensors`` for torch and pipeline, the ``.onnx`` file for the ONNX backends.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model.int8.onnx"}  # backend -> file in the model folder
BENCH_FILES = ("data/claims/test.jsonl", "data/claims/dev_real.jsonl")


def weights_file(backend: str, model: str) -> Path:
    """The file a backend loads its weights from, for the size-on-disk column."""
    return Path(model) / ONNX_FILES.get(backend, "model.safetensors")


def bench_sentences(n: int, seed: int = 0) -> list[str]:
    """``n`` sentences of the test split and the real-style dev set, in random order, with their real lengths.

    All of them once each (shuffled) when ``n`` is at most their number, else drawn with replacement.
    """
    texts = [
        json.loads(line)["text"]
        for name in BENCH_FILES
        for line in (ROOT / name).open(encoding="utf-8")
        if line.strip()
    ]
    rng = random.Random(seed)
    return rng.sample(texts, n) if n <= len(texts) else rng.choices(texts, k=n)


def worker(
    backend: str, model: str, batch_size: int, n: int, threads: int | None, max_tokens: int | None, repeats: int = 3
) -> dict:
    import numpy as np

    if threads and backend not in ONNX_FILES:
        import torch

        torch.set_num_threads(threads)
    texts = bench_sentences(n)
    if backend == "pipeline":
        import torch
        from transformers import pipeline

        pipe = pipeline(
            "text-classification", model=model, tokenizer=model, device=-1, top_k=None, dtype=torch.float32
        )
        max_length = pipe.tokenizer.model_max_length

        def run(batch):
            out = pipe(batch, batch_size=batch_size, truncation=True, max_length=max_length)
            return [max(r, key=lambda x: x["score"])["label"] for r in out]
    elif backend == "hf-loop":
        run = plain_loop(model, batch_size)
    else:
        from inference import Classifier

        # The encoder alone, as the pipeline computes it; torch-fused adds the model's lexical channel (if it has one).
        options = dict(device="cpu", batch_size=batch_size, max_tokens=max_tokens, lexical=backend == "torch-fused")
        if backend in ONNX_FILES:
            from inference.onnx_engine import OnnxEngine

            clf = Classifier(model, backend="onnx", onnx_file=ONNX_FILES[backend], **options)
            if threads:  # the same thread count as torch.set_num_threads gives the torch backends
                clf.engine = OnnxEngine(clf.info, "cpu", ONNX_FILES[backend], threads=threads)
                clf.tokenizer = clf.engine.tokenizer
        elif backend == "torch-bf16":  # bf16 autocast: faster on CPUs with AVX512-BF16 or AMX
            clf = Classifier(model, backend="torch", precision="bf16", **options)
        else:
            clf = Classifier(model, backend="torch" if backend == "torch-fused" else backend, **options)

        def run(batch):
            return [p.label for p in clf.predict(batch)]

    run(texts[:batch_size])  # warm-up
    seconds = float("inf")
    for _ in range(repeats):  # the best of several passes: other jobs on a shared machine only slow a pass down
        start = time.perf_counter()
        labels = run(texts)
        seconds = min(seconds, time.perf_counter() - start)
    latencies = []
    for text in texts[:50]:
        t = time.perf_counter()
        run([text])
        latencies.append(time.perf_counter() - t)
    from transformers import AutoTokenizer

    tokens = [len(ids) for ids in AutoTokenizer.from_pretrained(model)(texts, truncation=True)["input_ids"]]
    return {
        "backend": backend,
        "sentences_per_s": round(len(texts) / seconds, 1),
        "tokens_per_s": round(sum(tokens) / seconds),
        "latency_ms_median": round(1000 * statistics.median(latencies), 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "size_mb": round(weights_file(backend, model).stat().st_size / 2**20, 1),
        "labels": labels,
        "mean_tokens": round(float(np.mean(tokens)), 1),
    }


def plain_loop(model: str, batch_size: int):
    """The plain Hugging Face loop: tokenizer and model on batches in input order, padded to each batch's longest."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    net = AutoModelForSequenceClassification.from_pretrained(model, dtype=torch.float32).eval()

    def run(batch):
        labels = []
        with torch.inference_mode():
            for i in range(0, len(batch), batch_size):
                enc = tokenizer(batch[i : i + batch_size], padding=True, truncation=True, return_tensors="pt")
                labels += [net.config.id2label[k] for k in net(**enc).logits.argmax(-1).tolist()]
        return labels

    return run


def peak_rss_mb() -> float:
    """This process's own peak resident memory in MB (``VmHWM``; ``ru_maxrss`` where /proc is absent).

    On Linux ``ru_maxrss`` keeps the parent's peak across exec, so every worker would report at least the
    memory of the main process, which may have built or exported a model.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_random_base(folder: Path) -> Path:
    """camembert-base architecture, random weights, with a tokenizer learnt on the training split."""
    import torch
    from transformers import CamembertConfig, CamembertForSequenceClassification

    from inference.labels import ID2LABEL, LABEL2ID
    from training.data import read_rows
    from training.tokenizer import train_tokenizer

    tokenizer = train_tokenizer([r["text"] for r in read_rows(ROOT / "data/claims/train.jsonl")], 8000, 128)
    torch.manual_seed(0)
    config = CamembertConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=514,
        pad_token_id=1,
        num_labels=4,
        id2label=ID2LABEL,
        label2id=LABEL2ID,
    )
    CamembertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model folder (default: outputs/claims-mini)")
    parser.add_argument("--arch", choices=["mini", "base"], default="mini", help="base = random camembert-base")
    parser.add_argument(
        "--backends",
        default="pipeline,hf-loop,torch",
        help="comma list: pipeline, hf-loop, torch, torch-bf16, onnx, onnx-int8, torch-fused (+ lexical channel)",
    )
    parser.add_argument("--batch-size", type=int, default=32, help="sentences per batch (a cap for predict())")
    parser.add_argument("--max-tokens", type=int, help="padded tokens per batch for predict() (default: its own)")
    parser.add_argument("-n", type=int, default=1000, help="sentences")
    parser.add_argument("--threads", type=int, default=None, help="torch and ONNX Runtime intra-op threads")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per backend; the best is reported")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = worker(args.worker, args.model, args.batch_size, args.n, args.threads, args.max_tokens, args.repeats)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or ("outputs/claims-mini" if args.arch == "mini" else str(make_random_base(Path(tmp))))
        backends = args.backends.split(",")
        missing = [ONNX_FILES[b] for b in backends if b in ONNX_FILES and not weights_file(b, model).is_file()]
        if missing:  # export once, before timing anything, into the model folder (a temp dir for --arch base)
            from training.deploy.export import export_onnx

            for file in export_onnx(model, quantize="int8" if "model.int8.onnx" in missing else None):
                print(f"exported {file} ({file.stat().st_size / 2**20:.1f} MB)", file=sys.stderr)
        results = {}
        for backend in backends:
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                backend,
                "--model",
                model,
                "--batch-size",
                str(args.batch_size),
                "-n",
                str(args.n),
            ]
            cmd += ["--threads", str(args.threads)] if args.threads else []
            cmd += ["--repeats", str(args.repeats)]
            cmd += ["--max-tokens", str(args.max_tokens)] if args.max_tokens else []
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            results[backend] = json.loads(out.strip().splitlines()[-1])
    base = results.get("pipeline")
    first = next(iter(results.values()))
    print(
        f"model: {model} ({args.arch}), {args.n} sentences of {', '.join(BENCH_FILES)}, mean {first['mean_tokens']} "
        f"tokens, batch size {args.batch_size}, threads {args.threads or 'default'}, best of {args.repeats} passes\n"
    )
    print(
        "| backend | sentences/s | tokens/s | x pipeline | latency ms (1 sentence) | peak RSS MB | size on disk MB "
        "| labels = pipeline |\n|---|---|---|---|---|---|---|---|"
    )
    for name, r in results.items():
        ratio = f"{r['sentences_per_s'] / base['sentences_per_s']:.2f}" if base else "-"
        agree = f"{sum(a == b for a, b in zip(r['labels'], base['labels'])) / len(r['labels']):.1%}" if base else "-"
        print(
            f"| {name} | {r['sentences_per_s']:,} | {r['tokens_per_s']:,} | {ratio} | {r['latency_ms_median']} "
            f"| {r['peak_rss_mb']:,} | {r['size_mb']} | {agree} |"
        )


if __name__ == "__main__":
    main()
