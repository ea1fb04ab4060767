"""Cross-entropy with optional class weights, in the shape ``Trainer(compute_loss_func=...)`` expects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import torch
import torch.nn.functional as F


def class_weights(label_ids: Sequence[int], num_labels: int) -> torch.Tensor:
    """Inverse-frequency weights, scaled so the average weight over the training rows is 1.

    Raises:
        ValueError: a class has no training example (its weight would be infinite).
    """
    counts = Counter(int(i) for i in label_ids)
    missing = [i for i in range(num_labels) if counts[i] == 0]
    if missing:
        raise ValueError(f"class-weighted loss: label id(s) {missing} have no training example")
    total = sum(counts.values())
    return torch.tensor([total / (num_labels * counts[i]) for i in range(num_labels)], dtype=torch.float32)


def make_loss(weights: torch.Tensor | None = None, label_smoothing: float = 0.0):
    """Return ``loss(outputs, labels, num_items_in_batch=None)``.

    With gradient accumulation the Trainer passes the number of labelled rows in the whole
    accumulated batch; summing and dividing by it gives the same gradient as one big batch.
    """

    def loss(outputs, labels, num_items_in_batch=None):
        logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
        weight = weights.to(logits.device, logits.dtype) if weights is not None else None
        per_row = F.cross_entropy(
            logits.view(-1, logits.size(-1)).float(),
            labels.view(-1),
            weight=weight.float() if weight is not None else None,
            label_smoothing=label_smoothing,
            reduction="none",
        )
        if num_items_in_batch is None:
            return per_row.mean()
        if torch.is_tensor(num_items_in_batch):
            num_items_in_batch = num_items_in_batch.to(per_row.device)
        return per_row.sum() / num_items_in_batch

    return loss
