"""Golden token ids: CamemBERT tokenizers changed behaviour twice within transformers 5.x."""

import csv
from pathlib import Path

from transformers import AutoTokenizer, CamembertTokenizer

from training.tokenizer import train_tokenizer

TOY = Path(__file__).parent / "data" / "toy.csv"
SENTENCE = "Le ministère dément « toute fuite » de 3,5 %."
# Recorded with transformers 5.24, tokenizers 0.23, sentencepiece 0.2.3; a change here means tokenization changed.
GOLDEN_IDS = [0, 20, 78, 48, 36, 13, 12, 22, 43, 5, 28, 80, 55, 93, 101, 55, 29, 14, 5, 164, 21, 3, 5, 3, 6, 2]


def _toy_tokenizer():
    texts = [row["text"] for row in csv.DictReader(TOY.open(encoding="utf-8"))]
    return train_tokenizer(texts, vocab_size=200, max_length=32)


def test_trained_tokenizer_gives_golden_ids():
    tokenizer = _toy_tokenizer()
    assert isinstance(tokenizer, CamembertTokenizer)
    assert len(tokenizer) == 200
    assert tokenizer(SENTENCE, truncation=True, max_length=32)["input_ids"] == GOLDEN_IDS


def test_special_tokens_follow_camembert_roles():
    tokenizer = _toy_tokenizer()
    ids = tokenizer("Bonjour")["input_ids"]
    assert ids[0] == tokenizer.cls_token_id == tokenizer.bos_token_id
    assert ids[-1] == tokenizer.sep_token_id == tokenizer.eos_token_id
    assert tokenizer.pad_token_id == 1 and tokenizer.mask_token_id is not None


def test_saved_tokenizer_reloads_with_identical_ids(tmp_path):
    tokenizer = _toy_tokenizer()
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert type(reloaded).__name__ == "CamembertTokenizer"
    assert reloaded.model_max_length == 32
    assert reloaded(SENTENCE)["input_ids"] == GOLDEN_IDS


def test_truncation_respects_max_length():
    tokenizer = _toy_tokenizer()
    ids = tokenizer(SENTENCE * 20, truncation=True, max_length=32)["input_ids"]
    assert len(ids) == 32 and ids[-1] == tokenizer.sep_token_id
