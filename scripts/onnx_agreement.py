"""ONNX parity on the test split: fp32 vs torch probabilities, int8 vs fp32 labels and macro-F1.

Works on a temporary copy of the model folder, so the folder itself is not changed.

    python scripts/onnx_agreement.py --model outputs/claims-mini
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference import Classifier  # noqa: E402
from training.deploy.export import export_onnx  # noqa: E402
from training.evaluation.metrics import compute_classification_metrics  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="outputs/claims-mini")
    parser.add_argument("--data", default=str(ROOT / "data/claims/test.jsonl"))
    args = parser.parse_args()
    rows = [json.loads(line) for line in open(args.data, encoding="utf-8")]
    texts = [r["text"] for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        model = shutil.copytree(args.model, Path(tmp) / "model", ignore=shutil.ignore_patterns("checkpoints"))
        export_onnx(model, quantize="int8")
        probs = {
            "torch": Classifier(model, backend="torch", device="cpu").predict_proba(texts),
            "onnx fp32": Classifier(model, backend="onnx").predict_proba(texts),
            "onnx int8": Classifier(model, backend="onnx", onnx_file="model.int8.onnx").predict_proba(texts),
        }
        labels = Classifier(model, backend="onnx").labels
    gold = [labels.index(r["label"]) for r in rows]
    print(f"{len(texts)} sentences from {args.data}")
    print(f"max |p(onnx fp32) - p(torch)| = {np.abs(probs['onnx fp32'] - probs['torch']).max():.2e}")
    agree = (probs["onnx int8"].argmax(1) == probs["onnx fp32"].argmax(1)).mean()
    print(
        f"int8 vs fp32 label agreement = {agree:.2%}; max |p(int8) - p(fp32)| = "
        f"{np.abs(probs['onnx int8'] - probs['onnx fp32']).max():.3f}"
    )
    for name, p in probs.items():
        m = compute_classification_metrics(p.argmax(1), gold, labels)
        print(f"{name:>10}: accuracy {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}")


if __name__ == "__main__":
    main()
