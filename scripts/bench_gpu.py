"""GPU throughput: inference (sentences/s and tokens/s against transformers.pipeline, fp32 against half precision),
label parity with fp32, and training (samples/s, model-FLOPs utilisation), on a camembert-base-shaped model.

The model has random weights (built from a ``CamembertConfig``, no Hub) and a SentencePiece tokenizer learnt on
the training split; sentences are drawn from the test split and the real-style dev set, so their lengths are those
of real copy. Parity needs a trained model: ``--parity-model DIR`` (e.g. the quick start's ``outputs/claims-mini``)
compares each precision's labels and scores with fp32 on the test split. Everything is written as JSON into --out.

    python scripts/bench_gpu.py --out runs/gpu --parity-model outputs/claims-mini            # one H200, < 8 min
    python scripts/bench_gpu.py --out /tmp/gpu-smoke --device cpu --size tiny -n 300 --train-steps 20   # smoke

MFU = 6 x parameters (embeddings included) x tokens read (padding excluded) per second / --peak-tflops
(989: dense bf16 of an H100/H200). Training samples/s count every sample of every epoch over the whole
``trainer.train()`` call, evaluation and checkpoints included, as ``claims train`` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")

from bench_inference import bench_sentences  # noqa: E402  (same folder: the same real-length sentences)

SIZES = {
    "base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128),
}
PIPELINE_SENTENCES = 10000
BASE_TRAIN_SAMPLES = 3099  # the base tranche: the training set of the figures this benchmark is compared with


def make_model(folder: Path, size: str) -> Path:
    """A camembert-base-shaped (or tiny) classifier with random weights and a corpus SentencePiece tokenizer."""
    import torch
    from transformers import CamembertConfig, CamembertForSequenceClassification

    from inference.labels import ID2LABEL, LABEL2ID
    from training.rows import read_rows
    from training.tokenizer import train_tokenizer

    tokenizer = train_tokenizer([r["text"] for r in read_rows(ROOT / "data/claims/train.jsonl")], 8000, 128)
    torch.manual_seed(0)
    config = CamembertConfig(
        vocab_size=len(tokenizer), max_position_embeddings=514, pad_token_id=tokenizer.pad_token_id,
        num_labels=4, id2label=ID2LABEL, label2id=LABEL2ID, **SIZES[size],
    )  # fmt: skip
    CamembertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed(run, texts, device: str, repeats: int):
    """``(best seconds, result of the last pass)`` over ``repeats`` timed passes after a warm-up."""
    run(texts[: min(len(texts), 2048)])  # warm-up: kernels, allocator, autotuning
    best, result = float("inf"), None
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        result = run(texts)
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_inference(model: Path, texts: list[str], device: str, repeats: int, variants: list[dict]) -> list[dict]:
    import numpy as np
    import torch
    from transformers import AutoTokenizer, pipeline

    from inference import Classifier

    tokenizer = AutoTokenizer.from_pretrained(model)
    start = time.perf_counter()
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True)["input_ids"]]
    rows = [{"name": "fast tokenizer alone (one call)", "seconds": time.perf_counter() - start, "n": len(texts)}]
    pipe = pipeline("text-classification", model=str(model), device=device, top_k=None, dtype=torch.float32)
    few = texts[:PIPELINE_SENTENCES]  # the pipeline's rate is steady: fewer sentences keep the run short
    seconds, _ = _timed(lambda batch: pipe(batch, batch_size=256, truncation=True), few, device, 1)
    rows.append({"name": "transformers.pipeline fp32, batch 256", "seconds": seconds, "n": len(few)})
    pipe = None  # free its GPU memory before the next model
    reference = None
    for variant in variants:
        try:
            extra = ("name", "cast_weights", "compile", "lexical_from", "no_cudnn_attention")
            options = {k: v for k, v in variant.items() if k not in extra}
            folder = model
            if variant.get("lexical_from"):  # the same weights plus a trained model's n-gram channel
                folder = Path(tempfile.mkdtemp()) / "fused"
                shutil.copytree(model, folder)
                for name in ("lexical.json", "lexical.safetensors"):
                    shutil.copy2(Path(variant["lexical_from"]) / name, folder / name)
            clf = Classifier(folder, device=device, **options)
            if variant.get("cast_weights"):  # half weights instead of autocast: fewer casts, less exact
                clf.engine.model.to(clf.engine._dtype)
                clf.engine._autocast = False
            if variant.get("compile"):
                clf.engine.model = torch.compile(clf.engine.model, dynamic=True)
            if device.startswith("cuda"):
                torch.cuda.reset_peak_memory_stats()
            run = clf.predict_proba
            if variant.get("no_cudnn_attention"):  # flash / memory-efficient attention kernels only

                def run(batch, clf=clf):
                    from torch.nn.attention import SDPBackend, sdpa_kernel

                    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]):
                        return clf.predict_proba(batch)

            seconds, probs = _timed(run, texts, device, repeats)
        except Exception as error:  # one failing variant must not cost the others' figures
            rows.append({"name": variant["name"], "error": repr(error)})
            continue
        reference = probs if reference is None else reference
        rows.append({
            "name": variant["name"], "seconds": seconds, "n": len(texts), "precision": clf.precision,
            "batch_size": clf.batch_size, "max_tokens": clf.max_tokens,
            "labels_equal_first_variant": float((probs.argmax(1) == reference.argmax(1)).mean()),
            "max_score_diff_first_variant": float(np.abs(probs - reference).max()),
            "peak_gpu_mb": torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None,
        })  # fmt: skip
        clf = None
    for row in rows:
        if "seconds" in row:
            tokens = sum(lengths[: row["n"]])  # the sentences each row ran: all of them, or the pipeline's first
            row.update(sentences_per_s=row["n"] / row["seconds"], tokens_per_s=tokens / row["seconds"],
                       mean_tokens=tokens / row["n"])  # fmt: skip
    for row in rows:
        if "seconds" in row:
            row["x_pipeline"] = row["sentences_per_s"] / rows[1]["sentences_per_s"]
    return rows


def bench_parity(model: str, device: str) -> list[dict]:
    """Labels and scores of each precision against fp32 on the test split of a trained model."""
    import numpy as np

    from inference import Classifier
    from training.rows import read_rows

    texts = [r["text"] for r in read_rows(ROOT / "data/claims/test.jsonl")]
    fp32 = Classifier(model, device=device, precision="fp32").predict_proba(texts)
    rows = []
    precisions = ["bf16", "fp16"] if device.startswith("cuda") else ["bf16"]
    for precision in precisions:
        probs = Classifier(model, device=device, precision=precision).predict_proba(texts)
        diff = np.abs(probs - fp32)
        rows.append({"model": model, "precision": precision, "sentences": len(texts),
                     "labels_equal_fp32": float((probs.argmax(1) == fp32.argmax(1)).mean()),
                     "max_score_diff": float(diff.max()),
                     "p99_score_diff": float(np.quantile(diff.max(1), 0.99))})  # fmt: skip
    return rows


def bench_training(model: Path, device: str, args) -> list[dict]:
    """``claims train`` (configs/camembert-base.yaml on the random model) with this version's settings, with
    checkpoints only on improvement, at batch 64, and with the previous settings (batch 16 x 2, evaluation batch 64, no
    loader workers); with ``--compile``, also with ``torch_compile``."""
    from training.train import main as train

    settings = {
        "claims train, this version's camembert-base.yaml": [],
        "same, save_strategy=best": ["training.save_strategy=best"],
        # Per-step overhead check: half the steps for the same samples (another optimisation, not shipped).
        "same, batch 64 (not the shipped setting)": ["training.per_device_train_batch_size=64"],
        "claims train, previous settings": [
            "training.per_device_train_batch_size=16", "training.gradient_accumulation_steps=2",
            "training.per_device_eval_batch_size=64", "training.dataloader_num_workers=0",
        ],
    }  # fmt: skip
    if args.compile or args.train_compile:
        settings["same, torch_compile=true"] = ["training.torch_compile=true"]
    common = [f"model.name_or_path={model}", f"data.max_train_samples={args.train_samples}",
              f"training.num_train_epochs={args.train_epochs}", "training.early_stopping_patience=null"]  # fmt: skip
    if args.train_steps:
        common.append(f"training.max_steps={args.train_steps}")
    if not device.startswith("cuda"):
        common += ["training.use_cpu=true", "training.dataloader_num_workers=0"]
    rows = []
    for name, overrides in settings.items():
        with tempfile.TemporaryDirectory() as tmp:
            metrics = train(ROOT / "configs/camembert-base.yaml", common + overrides, output_dir=Path(tmp) / "model")
        samples = metrics["training"]["epochs"] * metrics["data"]["sizes"]["train"]
        rows.append({"name": name, "samples": samples, "seconds": metrics["training"]["train_seconds"],
                     "test_macro_f1": metrics.get("test", {}).get("macro_f1")})  # fmt: skip
    return rows


def profile_training(model: Path, device: str, args, path: Path) -> None:
    """Profile ``claims train`` (camembert-base.yaml, this version's settings): mean wall time per optimiser step
    against the GPU's busy time per step, and the operators that take the CPU's and the GPU's time."""
    from torch.profiler import ProfilerActivity, profile, schedule
    from transformers import TrainerCallback

    import training.train as train_module

    warmup, active = 20, args.profile_steps
    stamps: list[float] = []

    class Step(TrainerCallback):
        def on_step_end(self, *_, **__):
            if len(stamps) in (warmup - 1, warmup + active - 1):  # the window's edges wait for the GPU
                _sync(device)
            stamps.append(time.perf_counter())
            profiler.step()

    build = train_module.build_trainer

    def build_with_profiler(*a, **k):
        trainer = build(*a, **k)
        trainer.add_callback(Step())
        return trainer

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.startswith("cuda") else [])
    train_module.build_trainer = build_with_profiler
    try:
        with profile(
            activities=activities, schedule=schedule(wait=warmup - 2, warmup=1, active=active, repeat=1)
        ) as profiler:
            with tempfile.TemporaryDirectory() as tmp:
                overrides = [
                    f"model.name_or_path={model}",
                    f"training.max_steps={warmup + active + 5}",
                    f"data.max_train_samples={args.train_samples}",
                    "training.early_stopping_patience=null",
                ]
                if not device.startswith("cuda"):
                    overrides += ["training.use_cpu=true", "training.dataloader_num_workers=0"]
                train_module.main(ROOT / "configs/camembert-base.yaml", overrides, output_dir=Path(tmp) / "m")
    finally:
        train_module.build_trainer = build
    events = profiler.key_averages()
    device_key = "self_device_time_total" if hasattr(events[0], "self_device_time_total") else "self_cuda_time_total"
    # Kernels only: annotations (ProfilerStep*, Optimizer.step#...) repeat their kernels' time on the GPU side.
    gpu_us = sum(getattr(e, device_key, 0) for e in events if e.device_type.name == "CUDA" and "#" not in e.key
                 and not e.key.startswith("ProfilerStep"))  # fmt: skip
    window = stamps[warmup + active - 1] - stamps[warmup - 1] if len(stamps) >= warmup + active else float("nan")
    summary = (f"steps profiled: {active}; wall per step {1000 * window / active:.1f} ms; GPU busy per step "
               f"{gpu_us / 1000 / active:.1f} ms (sum of kernel times)\n")  # fmt: skip
    text = summary + "\n" + events.table(sort_by="self_cpu_time_total", row_limit=30)
    if device.startswith("cuda"):
        text += "\n" + events.table(sort_by=device_key, row_limit=20)
    path.write_text(text)
    print(summary + events.table(sort_by="self_cpu_time_total", row_limit=30))


def bench_bare_loop(model: Path, device: str, steps: int, batch_size: int, bf16: bool) -> dict:
    """A bare loop (no Trainer): length-grouped batches, fused AdamW, bf16 autocast: the ceiling for training."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding

    from inference.labels import LABEL2ID
    from training.rows import read_rows

    rows = read_rows(ROOT / "data/claims/train.jsonl")
    tokenizer = AutoTokenizer.from_pretrained(model)
    encoded = tokenizer([r["text"] for r in rows], truncation=True, max_length=128)["input_ids"]
    order = sorted(range(len(rows)), key=lambda i: len(encoded[i]))
    groups = [order[i : i + batch_size] for i in range(0, len(order) - batch_size + 1, batch_size)]
    generator = torch.Generator().manual_seed(0)
    groups = [groups[i] for i in torch.randperm(len(groups), generator=generator).tolist()]
    collate = DataCollatorWithPadding(tokenizer)
    batches = [
        collate([{"input_ids": encoded[i], "labels": LABEL2ID[rows[i]["label"]]} for i in group])
        for group in (groups * (1 + steps // len(groups)))[:steps]
    ]
    net = AutoModelForSequenceClassification.from_pretrained(model, dtype=torch.float32).to(device).train()
    optimizer = torch.optim.AdamW(net.parameters(), lr=2e-5, fused=True)
    warmup = min(5, steps // 4)
    samples = tokens = 0
    for step, batch in enumerate(batches):
        if step == warmup:
            _sync(device)
            start = time.perf_counter()
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        with torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            loss = net(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= warmup:
            samples += batch["input_ids"].shape[0]
            tokens += int(batch["attention_mask"].sum())
    _sync(device)
    seconds = time.perf_counter() - start
    return {"name": f"bare loop, batch {batch_size}{', bf16' if bf16 else ''}", "samples": samples,
            "seconds": seconds, "tokens": tokens}  # fmt: skip


def model_parameters(model: Path) -> int:
    from safetensors import safe_open

    with safe_open(model / "model.safetensors", "pt") as weights:
        return sum(weights.get_tensor(k).numel() for k in weights.keys())


def mean_train_tokens(model: Path, n: int) -> float:
    from transformers import AutoTokenizer

    from training.rows import read_rows

    texts = [r["text"] for r in read_rows(ROOT / "data/claims/train.jsonl")][:n]
    lengths = [len(ids) for ids in AutoTokenizer.from_pretrained(model)(texts, truncation=True)["input_ids"]]
    return sum(lengths) / len(lengths)


INFERENCE_VARIANTS = {
    "cuda": [
        {"name": "predict() fp32", "precision": "fp32"},
        {"name": "predict() auto (bf16), default batches", "precision": "auto"},
        {"name": "predict() bf16, max_tokens 32768", "precision": "bf16", "max_tokens": 32768},
        {"name": "predict() bf16, max_tokens 131072, batch 4096", "precision": "bf16", "max_tokens": 131072,
         "batch_size": 4096},
        {"name": "predict() bf16 weights (no autocast)", "precision": "bf16", "cast_weights": True},
        {"name": "predict() fp16", "precision": "fp16"},
        {"name": "predict() auto, cuDNN attention off", "no_cudnn_attention": True},
    ],
    "cpu": [{"name": "predict() fp32", "precision": "fp32"}, {"name": "predict() bf16", "precision": "bf16"}],
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder for the JSON results")
    parser.add_argument("--device", default="cuda", help="cuda, cuda:1 ... or cpu (a smoke run)")
    parser.add_argument("--size", choices=sorted(SIZES), default="base")
    parser.add_argument("-n", type=int, default=30000, help="inference sentences (drawn from test and dev_real)")
    parser.add_argument("--compile", action="store_true", help="also time predict() with torch.compile (slow start)")
    parser.add_argument("--repeats", type=int, default=2, help="timed passes per inference variant (best kept)")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="the device's dense bf16 peak, TFLOP/s")
    parser.add_argument("--parity-model", help="a trained model folder: labels and scores vs fp32 on test")
    parser.add_argument("--train-samples", type=int, default=BASE_TRAIN_SAMPLES)
    parser.add_argument("--train-epochs", type=int, default=3)
    parser.add_argument("--train-steps", type=int, help="stop each training run after N steps (smoke runs)")
    parser.add_argument("--bare-steps", type=int, default=150, help="steps of the bare training loop")
    parser.add_argument("--train-compile", action="store_true", help="also time claims train with torch_compile")
    parser.add_argument("--variants", help="comma list of positions in the device's inference variants (default all)")
    parser.add_argument("--lexical-from", help="a trained model with a lexical channel: also time predict() fused")
    parser.add_argument(
        "--profile-steps",
        type=int,
        default=0,
        help="profile this many steps of claims train (after 20 warm-up steps) into profile.txt",
    )
    parser.add_argument("--skip", default="", help="comma list of parts to skip: inference, parity, training, bare")
    args = parser.parse_args()
    import torch

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    cuda = args.device.startswith("cuda")
    import transformers

    info = {"device": torch.cuda.get_device_name(args.device) if cuda else "cpu", "torch": torch.__version__,
            "transformers": transformers.__version__, "size": args.size, "peak_tflops": args.peak_tflops,
            "sentences": args.n, "command": " ".join(sys.argv)}  # fmt: skip
    (out / "environment.json").write_text(json.dumps(info, indent=2))
    print(json.dumps(info))
    with tempfile.TemporaryDirectory() as tmp:
        model = make_model(Path(tmp) / f"camembert-{args.size}-random", args.size)
        params = model_parameters(model)
        if "inference" not in skip:
            texts = bench_sentences(args.n)
            variants = list(INFERENCE_VARIANTS["cuda" if cuda else "cpu"])
            if args.variants:  # a subset, by position in that list (the first is the reference of the others)
                variants = [variants[int(i)] for i in args.variants.split(",")]
            if args.compile:
                variants.append({"name": "predict() auto, torch.compile", "compile": True})
            if args.lexical_from:
                variants.append({"name": "predict() auto + lexical channel", "lexical_from": args.lexical_from})
            rows = bench_inference(model, texts, args.device, args.repeats, variants)
            _write(out / "inference.json", rows)
            _table(rows, ["sentences_per_s", "tokens_per_s", "x_pipeline", "labels_equal_first_variant",
                          "max_score_diff_first_variant", "peak_gpu_mb"])  # fmt: skip
        if args.parity_model and "parity" not in skip:
            rows = _guarded(lambda: bench_parity(args.parity_model, args.device), "parity")
            _write(out / "parity.json", rows)
            _table(rows, ["labels_equal_fp32", "max_score_diff", "p99_score_diff"], key="precision")
        rows = []
        if "bare" not in skip:
            bare = _guarded(lambda: [bench_bare_loop(model, args.device, args.bare_steps, 64, bf16=cuda)], "bare")
            for row in bare:
                row["tokens_per_sample"] = row.pop("tokens", 0) / row.get("samples", 1)
            rows += bare
        if args.profile_steps:
            _guarded(lambda: profile_training(model, args.device, args, out / "profile.txt") or [], "profile")
        if "training" not in skip:
            per_sample = mean_train_tokens(model, args.train_samples)
            trained = _guarded(lambda: bench_training(model, args.device, args), "training")
            rows += [dict(row, tokens_per_sample=per_sample) for row in trained]
        for row in rows:
            if "error" in row:
                continue
            row["samples_per_s"] = row["samples"] / row["seconds"]
            row["tokens_per_s"] = row["samples_per_s"] * row["tokens_per_sample"]
            row["mfu"] = 6 * params * row["tokens_per_s"] / (args.peak_tflops * 1e12)
            row["parameters"] = params
        if rows:
            _write(out / "training.json", rows)
            _table(rows, ["samples_per_s", "tokens_per_s", "mfu", "seconds"])


def _guarded(part, name: str) -> list[dict]:
    """Run one part; an exception becomes a row naming it, so the other parts' figures are still written."""
    try:
        return part()
    except Exception as error:
        import traceback

        traceback.print_exc()
        return [{"name": name, "precision": name, "error": repr(error)}]


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text(json.dumps(rows, indent=2))


def _table(rows: list[dict], columns: list[str], key: str = "name") -> None:
    print(f"\n| {key} | " + " | ".join(columns) + " |\n|" + "---|" * (len(columns) + 1))
    for row in rows:
        if "error" in row:
            print(f"| {row[key]} | error: {row['error'][:200]} |")
            continue
        cells = [_cell(row.get(column)) for column in columns]
        print(f"| {row[key]} | " + " | ".join(cells) + " |")
    sys.stdout.flush()


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


if __name__ == "__main__":
    main()
