#!/usr/bin/env bash
# The main job on a fresh machine: install, train the offline model on the bundled corpus,
# write its evaluation report, and classify an example article.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

# 1. Install: the CPU build of torch first (a plain "torch" requirement pulls a multi-GB CUDA build), then the
#    package with the extras the tests need (demo: the Gradio page of `claims demo`).
"$PYTHON" -m pip install --quiet "torch==2.13.0" || "$PYTHON" -m pip install --quiet "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
"$PYTHON" -m pip install --quiet -e ".[train,prior,onnx,dev,demo]"

# 2. Train the offline mini model (about 5 minutes on 2 CPU cores); prints its test metrics.
"$PYTHON" -m training.cli train --config configs/camembert-mini.yaml --output-dir outputs/claims-mini --overwrite

# 3. Evaluation report on the test split: metrics with confidence intervals, plots, calibration
#    (--calibrate stores a temperature in the model folder when it lowers the validation ECE), baselines,
#    most confident errors.
"$PYTHON" -m training.cli evaluate --model outputs/claims-mini --split test --out outputs/claims-mini-report --calibrate

# 4. Classify an example article, sentence by sentence (with the calibrated scores).
"$PYTHON" - <<'PY'
from inference import predict_document

article = """Le syndicat Sud-Rail reproche à la direction d'avoir ignoré trois alertes sur l'état des freins.
« Ces accusations ne reposent sur rien », a rétorqué le directeur régional, Paul Garnier.
La préfecture assure que les voyageurs n'ont couru aucun danger. Une enquête interne a été ouverte mardi."""
doc = predict_document(article, model="outputs/claims-mini")
for s in doc.sentences:
    print(f"{s.prediction.label:>12} {s.prediction.score:.2f}  {s.text}")
print("counts:", doc.counts)
PY
echo "Evaluation report: outputs/claims-mini-report/report.html"
