"""A French prior for a from-scratch model: token embeddings started from spaCy's static word vectors.

The offline mini encoder knows no French; a piece that is a French word (« ▁dément », « ▁imputer ») can start
from that word's 300-d vector, projected onto the model's hidden size by PCA, instead of from noise.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

WORD_START = "\u2581"  # SentencePiece's word-boundary mark
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@lru_cache(maxsize=2)
def load_vectors(package: str):
    """The static vectors of an installed spaCy package (no pipeline component is loaded).

    Cached: a run that both trains its tokenizer on the table's words and starts its embeddings from the table
    reads the package once.
    """
    try:
        import spacy
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"model.embedding_init={package!r} needs spaCy and the vectors package: pip install 'claims-fr[prior]' "
            f"(or pip install spacy {package})"
        ) from error
    try:
        nlp = spacy.load(
            package,
            exclude=["tok2vec", "morphologizer", "tagger", "parser", "senter", "ner", "attribute_ruler", "lemmatizer"],
        )
    except OSError as error:
        raise OSError(
            f"model.embedding_init: spaCy package {package!r} is not installed (pip install {package})"
        ) from error
    if not nlp.vocab.vectors.shape[0]:
        raise ValueError(f"model.embedding_init: spaCy package {package!r} has no word vectors")
    return nlp.vocab


def frequent_words(package, count: int) -> list[str]:
    """The ``count`` most frequent words of a vectors table (spaCy orders its keys by frequency).

    ``package`` is a spaCy package name or a loaded ``Vocab``; punctuation, numbers and symbols are skipped.
    """
    vocab = load_vectors(package) if isinstance(package, str) else package
    words = []
    for key in vocab.vectors.keys():
        word = vocab.strings[key]
        if WORD.fullmatch(word):
            words.append(word)
            if len(words) == count:
                break
    return words


def init_embeddings_from_vectors(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    package,
    texts: Iterable[str] = (),
) -> dict[str, float]:
    """Overwrite the rows of pieces found in the vectors table; returns the coverage figures.

    ``package`` is a spaCy package name, or an already loaded ``Vocab`` (anything with ``has_vector`` and
    ``get_vector``).

    Found rows get the PCA projection of their vector, scaled to the initialiser's standard deviation so the
    first steps see the magnitudes they would with random rows; other rows (fragments, special tokens) keep
    their random initialisation.
    """
    vocab = load_vectors(package) if isinstance(package, str) else package
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    special = set(tokenizer.all_special_ids)
    found: dict[int, np.ndarray] = {}
    for index, piece in enumerate(pieces):
        word = piece.replace(WORD_START, "")
        if index in special or not word:
            continue
        for candidate in (word, word.lower()):
            if vocab.has_vector(candidate):
                found[index] = vocab.get_vector(candidate)
                break
    embeddings = model.get_input_embeddings().weight
    hidden = embeddings.shape[1]
    if len(found) <= hidden:
        raise ValueError(f"model.embedding_init: only {len(found)} pieces have a vector, too few to project")
    ids = np.array(sorted(found))
    matrix = np.stack([found[i] for i in ids]).astype(np.float64)
    matrix -= matrix.mean(axis=0)
    _, _, components = np.linalg.svd(matrix, full_matrices=False)
    projected = matrix @ components[:hidden].T
    projected *= model.config.initializer_range / projected.std()
    with torch.no_grad():
        embeddings[torch.as_tensor(ids)] = torch.as_tensor(projected, dtype=embeddings.dtype)

    # Share of running-text pieces that start from a vector: what the encoder actually sees.
    counts: Counter = Counter()
    for text in texts:
        counts.update(tokenizer(text, add_special_tokens=False, truncation=True, max_length=512)["input_ids"])
    total = sum(counts.values())
    return {
        "pieces_covered": round(len(found) / (len(pieces) - len(special)), 4),
        "token_share_covered": round(sum(n for i, n in counts.items() if i in found) / total, 4) if total else 0.0,
    }
