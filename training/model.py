"""Build the network to fine-tune: a pretrained CamemBERT (Hub id or local dir) or a fresh mini one.

Labels are written into the model config here, once; from then on ``config.json`` carries them.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlparse

import torch
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    CamembertConfig,
    CamembertForSequenceClassification,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from inference.labels import LABELS

from .config import ModelConfig
from .tokenizer import train_tokenizer

logger = logging.getLogger(__name__)


class ModelUnavailableError(OSError):
    """A pretrained model can be neither found locally nor downloaded."""


def build_model(
    config: ModelConfig,
    train_texts: Iterable[str] | None = None,
    tokenizer: PreTrainedTokenizerBase | None = None,
    labels: Sequence[str] = LABELS,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Return ``(model, tokenizer)`` ready for fine-tuning on ``labels`` (class id = position).

    With ``config.name_or_path`` set, loads that checkpoint (Hub id or local directory) with its own
    tokenizer; a classification head that already has every one of ``labels`` is kept (its rows
    reordered, or narrowed to those labels), any other head starts afresh. Without it, builds a randomly
    initialised CamemBERT of the configured size around ``tokenizer`` (or one trained on ``train_texts``).
    """
    labels = tuple(labels)
    if config.name_or_path:
        return _load_pretrained(config, labels)
    if tokenizer is None:
        if train_texts is None:
            raise ValueError("building a model from scratch needs a tokenizer or the texts to train one")
        tokenizer = train_tokenizer(train_texts, vocab_size=config.vocab_size, max_length=config.max_length)
    model_config = encoder_config(config, tokenizer)
    model_config.num_labels = len(labels)
    model_config.id2label = dict(enumerate(labels))
    model_config.label2id = {label: i for i, label in enumerate(labels)}
    return CamembertForSequenceClassification(model_config), tokenizer


def encoder_config(config: ModelConfig, tokenizer: PreTrainedTokenizerBase) -> CamembertConfig:
    """The ``CamembertConfig`` of a from-scratch encoder of the configured size around ``tokenizer``."""
    return CamembertConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        intermediate_size=config.intermediate_size,
        hidden_dropout_prob=config.hidden_dropout_prob,
        attention_probs_dropout_prob=config.attention_probs_dropout_prob,
        classifier_dropout=config.classifier_dropout,
        # RoBERTa positions start after the padding index, hence the +2.
        max_position_embeddings=config.max_length + 2,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )


def _load_pretrained(config: ModelConfig, labels: tuple[str, ...]) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    source = resolve_source(config.name_or_path)
    kwargs = {"local_files_only": not Path(source).is_dir() and _offline()}
    source_labels = _source_labels(AutoConfig.from_pretrained(source, **kwargs))
    same_labels = source_labels is not None and set(labels) <= set(source_labels)
    label_kwargs = {} if same_labels else {"num_labels": len(labels)}
    model, info = AutoModelForSequenceClassification.from_pretrained(
        source,
        dtype=torch.float32,
        use_safetensors=True,  # never unpickle downloaded weights
        trust_remote_code=False,
        ignore_mismatched_sizes=not same_labels,  # a head of another size is replaced, and reported below
        output_loading_info=True,
        **label_kwargs,
        **kwargs,
    )
    if same_labels:
        if list(source_labels) != list(labels):
            # A head saved with another label order, or more labels: each label keeps its own row.
            _select_head_rows(model, [source_labels.index(label) for label in labels])
            logger.warning("%s: head rows taken from %s for %s", source, list(source_labels), list(labels))
    else:
        fresh = sorted({*info.get("missing_keys", ()), *(k for k, *_ in info.get("mismatched_keys", ()))})
        if source_labels is not None and not fresh:
            # Same head size, other labels (e.g. LABEL_0..3): its rows mean nothing here, so start it afresh.
            _reset_head(model)
            fresh = [name for name, _ in model.classifier.named_parameters(prefix="classifier")]
        logger.warning(
            "%s has %s; the classification head is initialised afresh (%s)",
            source,
            f"labels {list(source_labels)}" if source_labels else "no classification labels",
            ", ".join(fresh) or "no tensor reported",
        )
    model.config.id2label = dict(enumerate(labels))
    model.config.label2id = {label: i for i, label in enumerate(labels)}
    # RoBERTa-style position ids start after the padding index: longer inputs would index past the table.
    positions = model.config.max_position_embeddings - (model.config.pad_token_id or 0) - 1
    if config.max_length > positions:
        logger.warning("model.max_length %d exceeds what %s supports; using %d", config.max_length, source, positions)
        config.max_length = positions
    tokenizer = AutoTokenizer.from_pretrained(source, model_max_length=config.max_length, **kwargs)
    return model, tokenizer


def _source_labels(source_config) -> tuple[str, ...] | None:
    """The label names of a checkpoint's classification head, in id order; None for a bare encoder."""
    architectures = source_config.architectures or []
    if not any(name.endswith("ForSequenceClassification") for name in architectures):
        return None
    id2label = {int(k): v for k, v in source_config.id2label.items()}
    return tuple(id2label[i] for i in range(len(id2label)))


def _select_head_rows(model: PreTrainedModel, rows: list[int]) -> None:
    """Row ``i`` of the output projection becomes the source's row ``rows[i]`` (fewer rows narrow the head)."""
    old = model.classifier.out_proj
    new = torch.nn.Linear(old.in_features, len(rows), dtype=old.weight.dtype, device=old.weight.device)
    with torch.no_grad():
        new.weight.copy_(old.weight[rows])
        new.bias.copy_(old.bias[rows])
    model.classifier.out_proj = new
    model.num_labels = len(rows)


def _reset_head(model: PreTrainedModel) -> None:
    std = model.config.initializer_range
    with torch.no_grad():
        for module in model.classifier.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.normal_(0.0, std)
                module.bias.zero_()


def resolve_source(name_or_path: str) -> str:
    """Check that a model can be had, failing at once with the ways out when it cannot.

    A local directory must hold ``config.json``. A Hub id is taken from the local Hugging Face
    cache when present; otherwise the Hub must be reachable (checked with a 3 s DNS/TCP probe,
    rather than letting ``from_pretrained`` retry for half a minute).
    """
    path = Path(name_or_path).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelUnavailableError(f"{path} is not a model directory: config.json is missing")
        # lexical.safetensors is the n-gram channel, not model weights.
        weights = [p for p in path.glob("*.safetensors") if p.name != "lexical.safetensors"]
        has_safetensors = bool(weights) or (path / "model.safetensors.index.json").is_file()
        if not has_safetensors and any(path.glob("pytorch_model*.bin")):
            raise ModelUnavailableError(
                f"{path} holds only pickled weights (pytorch_model.bin), which this package never loads: unpickling "
                f"can run arbitrary code. If you trust where this folder came from, convert it once with\n"
                f"  claims convert --model {path}\n"
                f"which writes model.safetensors beside it (read with torch.load(weights_only=True))."
            )
        return str(path)
    if _in_cache(name_or_path):
        return name_or_path
    if _offline() or not _hub_reachable():
        local = (
            f"  0. if you meant a local folder: {path.resolve()} does not exist (outputs/claims-mini is made by "
            "bash scripts/quickstart.sh)\n"
            if "/" in name_or_path
            else ""
        )
        raise ModelUnavailableError(
            f"model {name_or_path!r} is not available offline: it is not a local directory, it is not in the "
            f"Hugging Face cache ({_cache_dir()}), and the Hub cannot be reached. Ways out:\n{local}"
            f"  1. point model.name_or_path at a local copy: --set model.name_or_path=/path/to/camembert-base\n"
            f"  2. download it once on a connected machine (hf download {name_or_path}) and copy the "
            f"cache here (HF_HOME)\n"
            f"  3. train the offline model instead: claims train --config configs/camembert-mini.yaml"
        )
    return name_or_path


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def _cache_dir() -> str:
    from huggingface_hub.constants import HF_HUB_CACHE

    return HF_HUB_CACHE


def _in_cache(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # malformed repo id: not in the cache
        return False


def _hub_reachable(timeout: float = 3.0) -> bool:
    from huggingface_hub.constants import ENDPOINT

    host = urlparse(ENDPOINT).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False
