"""Token-budget batches: sort by length, fill each batch up to a padded-token budget, restore input order.

A fixed number of sentences per batch pads short sentences as much as long ones costs; a budget of padded
tokens (``width x count``, the batch's longest sentence times its size) keeps every forward pass about the
same cost, so batches of short sentences are larger. Tokenisation runs in chunks so that, on a GPU, the
next chunk is tokenised in a background thread (the Rust tokenizer releases the GIL) while the current one
runs; the batches of a chunk are sorted within it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BatchDefaults:
    batch_size: int  # at most this many sentences per batch
    max_tokens: int  # at most this many padded tokens per batch
    chunk: int  # sentences tokenised and length-sorted together
    multiple: int  # batch width rounded up to a multiple of this (tensor-core tiles on GPUs)


# CPU: a few cores gain nothing from batches beyond a few thousand tokens. CUDA: large batches keep the GPU
# busy instead of waiting on Python and kernel launches.
DEFAULTS = {
    "cpu": BatchDefaults(batch_size=32, max_tokens=2048, chunk=4096, multiple=1),
    "cuda": BatchDefaults(batch_size=1024, max_tokens=65536, chunk=4096, multiple=8),
}


@dataclass(frozen=True)
class Encoded:
    """One tokenised chunk: token ids per text, and the positions (within the chunk) that were truncated."""

    ids: list[list[int]]
    truncated: list[int]


def plan_batches(lengths: Sequence[int], max_tokens: int, max_sentences: int) -> list[np.ndarray]:
    """Group row indices into batches of similar length, longest first.

    Each batch holds at most ``max_sentences`` rows and at most ``max_tokens`` padded tokens (its longest
    row's length times its row count); a single row longer than ``max_tokens`` forms a batch of its own.

    Example:
        >>> [b.tolist() for b in plan_batches([5, 50, 6, 48], max_tokens=100, max_sentences=8)]
        [[1, 3], [2, 0]]
    """
    if max_tokens < 1 or max_sentences < 1:
        raise ValueError(f"max_tokens and max_sentences must be positive, got {max_tokens} and {max_sentences}")
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    batches, start = [], 0
    while start < len(order):
        width = max(int(lengths[order[start]]), 1)  # longest first: the batch pads to its first row
        count = max(1, min(max_sentences, max_tokens // width, len(order) - start))
        batches.append(order[start : start + count])
        start += count
    return batches


def pad_rows(ids: list[list[int]], rows: np.ndarray, pad_id: int, multiple: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(input_ids, attention_mask)`` as int64 arrays for ``rows`` of ``ids``, padded to the longest row
    (rounded up to a multiple of ``multiple``)."""
    width = -(-max(len(ids[row]) for row in rows) // multiple) * multiple
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    attention = np.zeros((len(rows), width), dtype=np.int64)
    for j, row in enumerate(rows):
        input_ids[j, : len(ids[row])] = ids[row]
        attention[j, : len(ids[row])] = 1
    return input_ids, attention


def encode_chunks(
    encode: Callable[[list[str]], Encoded], texts: list[str], chunk_size: int, prefetch: bool
) -> Iterator[tuple[int, Encoded]]:
    """Yield ``(offset, encoded chunk)`` in order; with ``prefetch`` the next chunk is encoded in a thread."""
    starts = range(0, len(texts), chunk_size)
    if not prefetch or len(starts) < 2:
        for start in starts:
            yield start, encode(texts[start : start + chunk_size])
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="claims-tokenize") as pool:
        pending = pool.submit(encode, texts[:chunk_size])
        for start in starts:
            encoded = pending.result()
            following = start + chunk_size
            if following < len(texts):
                pending = pool.submit(encode, texts[following : following + chunk_size])
            yield start, encoded
