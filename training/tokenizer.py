"""Train a CamemBERT-style SentencePiece (Unigram) tokenizer on the project's own sentences.

The offline mini model cannot download camembert-base's tokenizer, so it learns one from the
training split with the ``sentencepiece`` trainer (the same algorithm CamemBERT used), then wraps
the vocabulary in ``CamembertTokenizer`` (the fast, tokenizers-backed class in transformers 5) so
it saves and loads like the real one.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

import sentencepiece as spm
from transformers import CamembertTokenizer

if TYPE_CHECKING:
    from .config import ModelConfig

# Ids of the special tokens, in CamemBERT's roles: <s> is also the classification token.
SPECIAL_IDS = {"bos_id": 0, "pad_id": 1, "eos_id": 2, "unk_id": 3}
MASK_TOKEN = "<mask>"


def train_tokenizer(texts: Iterable[str], vocab_size: int = 8000, max_length: int = 128) -> CamembertTokenizer:
    """Learn a Unigram vocabulary from ``texts`` and return a ready ``CamembertTokenizer``.

    Deterministic: one trainer thread and unshuffled input make the vocabulary, and so every
    token id, a pure function of ``texts`` (multi-threaded training reorders near-tied pieces).

    Args:
        texts: training sentences (only the training split, never evaluation data).
        vocab_size: vocabulary size, special tokens included.
        max_length: stored as ``model_max_length`` so inference truncates like training.
    """
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,  # French accents and « » must not become <unk>
        # No normalizer: CamembertTokenizer rebuilds its backend from the vocab on load and keeps a
        # normalizer only for camembert's own precompiled charsmap, so training must not rely on one.
        normalization_rule_name="identity",
        user_defined_symbols=[MASK_TOKEN],
        num_threads=1,
        shuffle_input_sentence=False,
        hard_vocab_limit=False,  # a small corpus may support fewer pieces than asked for
        minloglevel=2,
        **SPECIAL_IDS,
    )
    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    vocab = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(processor.get_piece_size())]
    return CamembertTokenizer(vocab=vocab, additional_special_tokens=[], model_max_length=max_length)


def train_model_tokenizer(config: ModelConfig, texts: Iterable[str]) -> CamembertTokenizer:
    """The tokenizer ``config`` asks for: learnt on ``texts``, plus the frequent words of
    ``config.tokenizer_words``' vectors table when set (so common French words stay whole)."""
    texts = list(texts)
    if config.tokenizer_words:
        from .prior import frequent_words

        texts += frequent_words(config.tokenizer_words, config.tokenizer_word_count)
    return train_tokenizer(texts, config.vocab_size, config.max_length)
