"""Masked-language-model objective for the mini encoder: whole-word masking and a loss on masked pieces only.

The loss projects only the masked positions onto the vocabulary (about 15 % of the pieces), not every
position as ``*ForMaskedLM.forward`` does: with a 16,000-piece vocabulary and a 256-wide encoder the
full projection costs more than the encoder itself.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase


def mask_words(
    encodings: Sequence[list[int]],
    word_starts: Sequence[list[bool]],
    tokenizer: PreTrainedTokenizerBase,
    probability: float,
    rng: random.Random,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad a batch and mask whole words: returns ``(input_ids, attention_mask, targets)``.

    Each word (a piece that starts with ▁ and the pieces that follow it) is chosen with ``probability``;
    its pieces become ``<mask>`` 80 % of the time, a random piece 10 %, and stay 10 % (BERT's recipe).
    Targets are -100 outside the chosen pieces; at least one word per sentence is chosen.
    """
    width = max(len(ids) for ids in encodings)
    input_ids = torch.full((len(encodings), width), tokenizer.pad_token_id, dtype=torch.long)
    attention = torch.zeros((len(encodings), width), dtype=torch.long)
    targets = torch.full((len(encodings), width), -100, dtype=torch.long)
    special = set(tokenizer.all_special_ids)
    vocab = len(tokenizer)
    for row, (ids, starts) in enumerate(zip(encodings, word_starts, strict=True)):
        input_ids[row, : len(ids)] = torch.as_tensor(ids)
        attention[row, : len(ids)] = 1
        words: list[list[int]] = []
        for position, (piece, start) in enumerate(zip(ids, starts, strict=True)):
            if piece in special:
                continue
            if start or not words:
                words.append([position])
            else:
                words[-1].append(position)
        if not words:
            continue
        chosen = [word for word in words if rng.random() < probability] or [rng.choice(words)]
        for word in chosen:
            draw = rng.random()
            for position in word:
                targets[row, position] = ids[position]
                if draw < 0.8:
                    input_ids[row, position] = tokenizer.mask_token_id
                elif draw < 0.9:
                    input_ids[row, position] = rng.randrange(len(special), vocab)
    return input_ids, attention, targets


def masked_lm_loss(model: PreTrainedModel, input_ids, attention_mask, targets) -> torch.Tensor:
    """Cross-entropy on the masked pieces only (``model`` is a ``*ForMaskedLM``)."""
    hidden = model.base_model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    chosen = targets != -100
    logits = model.lm_head(hidden[chosen])
    return torch.nn.functional.cross_entropy(logits, targets[chosen])


def word_starts(tokenizer: PreTrainedTokenizerBase, ids: list[int]) -> list[bool]:
    """Whether each piece opens a word (SentencePiece marks word starts with ▁)."""
    return [piece.startswith("\u2581") for piece in tokenizer.convert_ids_to_tokens(ids)]
