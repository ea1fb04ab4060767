"""Training-loop throughput: transformers.Trainer (as configured by this package) vs a bare PyTorch loop.

Same model initialisation, same batches in the same order, same optimiser (fused AdamW, the Trainer's
default, with the same decay groups, + linear schedule), same batch size, same gradient clipping.
Reports samples/second after warm-up and the ratio Trainer / bare loop.

    python scripts/bench_training.py                      # mini and camembert-base architectures on CPU
    python scripts/bench_training.py --arch base --device cuda --bf16 --steps 60   # GPU figure with MFU
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from transformers import (  # noqa: E402
    CamembertConfig,
    CamembertForSequenceClassification,
    DataCollatorWithPadding,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    get_linear_schedule_with_warmup,
)

from inference.labels import LABEL2ID, LABELS  # noqa: E402
from training.data import read_rows  # noqa: E402
from training.tokenizer import train_tokenizer  # noqa: E402

ARCHS = {
    "mini": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024),
    "base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
}
PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}  # dense bf16 tensor-core peaks


def build(arch: str, vocab_size: int, pad_id: int, seed: int) -> CamembertForSequenceClassification:
    torch.manual_seed(seed)
    config = CamembertConfig(
        vocab_size=vocab_size, max_position_embeddings=130, pad_token_id=pad_id, num_labels=len(LABELS), **ARCHS[arch]
    )
    return CamembertForSequenceClassification(config)


def bare_loop(model, batches, device, bf16, warmup) -> float:
    model.to(device).train()
    # The Trainer's default: fused AdamW, no weight decay on biases and LayerNorm weights.
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    groups = [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=5e-5, fused=True)
    scheduler = get_linear_schedule_with_warmup(optimizer, 0, len(batches))
    start, seen = None, 0
    for step, batch in enumerate(batches):
        if step == warmup:
            _sync(device)
            start, seen = time.perf_counter(), 0
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        seen += batch["input_ids"].shape[0]
    _sync(device)
    return seen / (time.perf_counter() - start)


class _Timer(TrainerCallback):
    def __init__(self, warmup: int, device: str) -> None:
        self.warmup, self.device, self.start, self.steps = warmup, device, None, 0

    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step == self.warmup:
            _sync(self.device)
            self.start = time.perf_counter()

    def on_train_end(self, args, state, control, **kwargs):
        _sync(self.device)
        self.elapsed = time.perf_counter() - self.start
        self.steps = state.global_step - self.warmup


def trainer_loop(model, rows, tokenizer, batch_size, steps, device, bf16, warmup, out) -> float:
    args = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=batch_size,
        max_steps=steps,
        learning_rate=5e-5,
        weight_decay=0.01,
        lr_scheduler_type="linear",
        save_strategy="no",
        eval_strategy="no",
        logging_strategy="no",
        report_to="none",
        use_cpu=device == "cpu",
        bf16=bf16,
        train_sampling_strategy="sequential",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    timer = _Timer(warmup, device)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        data_collator=DataCollatorWithPadding(tokenizer),
        callbacks=[timer],
    )
    trainer.train()
    return timer.steps * batch_size / timer.elapsed


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def flops_per_sample(model, seq_len: int) -> float:
    """6 x non-embedding parameters x tokens, plus attention (12 x layers x hidden x seq per token)."""
    cfg = model.config
    params = sum(p.numel() for n, p in model.named_parameters() if "embeddings" not in n)
    return seq_len * (6 * params + 12 * cfg.num_hidden_layers * cfg.hidden_size * seq_len)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["mini", "base", "both"], default="both")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    texts = [r["text"] for r in read_rows(ROOT / "data/claims/train.jsonl")]
    labels = [LABEL2ID[r["label"]] for r in read_rows(ROOT / "data/claims/train.jsonl")]
    tokenizer = train_tokenizer(texts, vocab_size=8000, max_length=128)
    n = args.steps * args.batch_size
    enc = tokenizer(texts[:n], truncation=True, max_length=128)
    rows = [
        {"input_ids": i, "attention_mask": m, "labels": y}
        for i, m, y in zip(enc["input_ids"], enc["attention_mask"], labels)
    ]
    collate = DataCollatorWithPadding(tokenizer)
    batches = [collate(rows[i : i + args.batch_size]) for i in range(0, n, args.batch_size)]
    mean_len = sum(len(r["input_ids"]) for r in rows) / len(rows)

    results = []
    for arch in ["mini", "base"] if args.arch == "both" else [args.arch]:
        bare = bare_loop(build(arch, 32005, tokenizer.pad_token_id, 0), batches, args.device, args.bf16, args.warmup)
        hf = trainer_loop(
            build(arch, 32005, tokenizer.pad_token_id, 0),
            rows,
            tokenizer,
            args.batch_size,
            args.steps,
            args.device,
            args.bf16,
            args.warmup,
            ROOT / "outputs" / "bench-trainer",
        )
        result = {
            "arch": arch,
            "device": args.device,
            "bf16": args.bf16,
            "batch_size": args.batch_size,
            "mean_tokens": round(mean_len, 1),
            "bare_samples_per_s": round(bare, 2),
            "trainer_samples_per_s": round(hf, 2),
            "ratio": round(hf / bare, 3),
        }
        if args.device.startswith("cuda"):
            name = torch.cuda.get_device_name()
            peak = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)
            achieved = hf * flops_per_sample(build(arch, 32005, 1, 0), int(mean_len)) / 1e12
            result.update(gpu=name, trainer_tflops=round(achieved, 1), mfu=round(achieved / peak, 3) if peak else None)
        results.append(result)
        print(json.dumps(result))
    print("\n| arch | device | batch | bare loop samples/s | Trainer samples/s | Trainer / bare |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['arch']} | {r['device']}{' bf16' if r['bf16'] else ''} | {r['batch_size']} | "
            f"{r['bare_samples_per_s']} | {r['trainer_samples_per_s']} | {r['ratio']:.2f} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
