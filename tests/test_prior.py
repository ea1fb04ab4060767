"""The French prior: token embeddings started from static word vectors (a stand-in table, no spaCy needed)."""

import numpy as np
import torch

from training.config import ModelConfig
from training.model import build_model
from training.prior import WORD_START, init_embeddings_from_vectors


class FakeVocab:
    """A word -> vector table with spaCy's lookup methods; vectors depend on the word so they carry signal."""

    def __init__(self, words, dim=40):
        rng = np.random.default_rng(0)
        self.table = {w: rng.normal(size=dim).astype(np.float32) for w in words}

    def has_vector(self, word):
        return word in self.table

    def get_vector(self, word):
        return self.table[word]


def test_pieces_found_in_the_table_start_from_their_projected_vectors(train_texts):
    from training.tokenizer import train_tokenizer

    tokenizer = train_tokenizer(train_texts, vocab_size=600, max_length=64)
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    words = [p.replace(WORD_START, "") for p in pieces if p.startswith(WORD_START) and len(p) > 1][:300]
    vocab = FakeVocab([w.lower() for w in words])
    config = ModelConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, vocab_size=600, max_length=64
    )
    torch.manual_seed(0)
    model, _ = build_model(config, tokenizer=tokenizer)
    before = model.get_input_embeddings().weight.detach().clone()

    coverage = init_embeddings_from_vectors(model, tokenizer, vocab, train_texts[:50])

    after = model.get_input_embeddings().weight.detach()
    changed = (before != after).any(dim=1)
    found = [
        i
        for i, p in enumerate(pieces)
        if vocab.has_vector(p.replace(WORD_START, "").lower())
        and i not in tokenizer.all_special_ids
        and p.replace(WORD_START, "")
    ]
    assert set(torch.nonzero(changed).flatten().tolist()) == set(found)  # exactly the covered rows moved
    assert not changed[tokenizer.all_special_ids].any()
    assert abs(after[found].std().item() - model.config.initializer_range) < 1e-3  # initialiser's scale
    # Rows are a linear projection of the vectors: similar vectors stay similar.
    a, b = found[0], found[1]
    va = vocab.get_vector(pieces[a].replace(WORD_START, "").lower())
    assert np.isfinite(after[a].numpy()).all() and not torch.equal(after[a], after[b]) and va.shape == (40,)
    assert 0 < coverage["pieces_covered"] < 1 and 0 < coverage["token_share_covered"] <= 1


def test_a_table_covering_too_few_pieces_is_refused(train_texts):
    import pytest

    from training.tokenizer import train_tokenizer

    tokenizer = train_tokenizer(train_texts, vocab_size=600, max_length=64)
    config = ModelConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, vocab_size=600, max_length=64
    )
    model, _ = build_model(config, tokenizer=tokenizer)
    with pytest.raises(ValueError, match=r"only \d+ pieces have a vector, too few"):
        init_embeddings_from_vectors(model, tokenizer, FakeVocab(["le", "la"]), [])


def test_frequent_words_keep_table_order_and_skip_punctuation_and_numbers():
    from training.prior import frequent_words

    class Table:
        """spaCy's shape: ``vectors.keys()`` are hashes in frequency order, ``strings`` maps them back."""

        def __init__(self, words):
            self.strings = {hash(w): w for w in words}
            self.vectors = type("Vectors", (), {"keys": lambda _self: [hash(w) for w in words]})()

    table = Table([",", "de", "la", "2024", "aujourd'hui", "«", "porte-parole", "l'", "démenti", "Kremlin"])
    assert frequent_words(table, 4) == ["de", "la", "aujourd'hui", "porte-parole"]
    assert frequent_words(table, 100) == ["de", "la", "aujourd'hui", "porte-parole", "démenti", "Kremlin"]
