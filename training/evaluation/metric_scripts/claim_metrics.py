"""Multi-class classification metrics as a local ``evaluate`` module.

Loaded with ``evaluate.load("training/evaluation/metric_scripts/claim_metrics.py")`` because the Hub's metric
scripts are out of reach offline (evaluate#315). Pass ``label_names`` to get per-class entries;
classes absent from both predictions and references still appear, with zero scores and support, but the
macro average runs over the classes that occur (an absent class would pull it down for nothing).
"""

import datasets
import evaluate
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef, precision_recall_fscore_support

_DESCRIPTION = "Accuracy, macro and weighted F1, per-class precision/recall/F1/support, Matthews correlation."
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted class ids.
    references (list of int): gold class ids.
    label_names (list of str, optional): names of class ids 0..n-1; default uses the ids seen.
Returns:
    accuracy, macro_f1, weighted_f1, mcc, and per_class {name: {precision, recall, f1, support}}.
"""


class ClaimMetrics(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}
            ),
        )

    def _compute(self, predictions, references, label_names=None):
        if label_names is None:
            label_names = [str(i) for i in sorted(set(predictions) | set(references))]
        ids = list(range(len(label_names)))
        present = sorted(i for i in set(references) | set(predictions) if 0 <= i < len(ids))  # -1: no label
        precision, recall, f1, support = precision_recall_fscore_support(
            references, predictions, labels=ids, zero_division=0
        )
        return {
            "accuracy": float(accuracy_score(references, predictions)),
            "macro_f1": float(f1_score(references, predictions, labels=present, average="macro", zero_division=0)),
            "weighted_f1": float(f1_score(references, predictions, labels=ids, average="weighted", zero_division=0)),
            "mcc": float(matthews_corrcoef(references, predictions)),
            "per_class": {
                name: {
                    "precision": float(precision[i]),
                    "recall": float(recall[i]),
                    "f1": float(f1[i]),
                    "support": int(support[i]),
                }
                for i, name in enumerate(label_names)
            },
        }
