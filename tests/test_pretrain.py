"""Masked-language pretraining: whole-word masks, leak guard, and an encoder that fine-tuning can start from."""

from __future__ import annotations

import json
import random

import pytest
import torch
from safetensors import safe_open
from transformers import AutoTokenizer, CamembertForMaskedLM

from training.config import ModelConfig
from training.mlm import mask_words, masked_lm_loss, word_starts
from training.model import build_model
from training.pretrain import main as pretrain
from training.tokenizer import train_tokenizer

from .conftest import corpus_texts

TINY = [
    "model.hidden_size=32",
    "model.num_hidden_layers=2",
    "model.num_attention_heads=2",
    "model.intermediate_size=64",
    "model.vocab_size=600",
    "model.max_length=48",
]


@pytest.fixture(scope="module")
def tokenizer(train_texts):
    return train_tokenizer(train_texts, vocab_size=600, max_length=48)


def test_whole_words_are_masked_and_only_they_are_targets(tokenizer, train_texts):
    ids = tokenizer(train_texts[:40], truncation=True, max_length=48)["input_ids"]
    starts = [word_starts(tokenizer, row) for row in ids]
    inputs, attention, targets = mask_words(ids, starts, tokenizer, 0.3, random.Random(0))
    special = set(tokenizer.all_special_ids)
    for row, (pieces, opens) in enumerate(zip(ids, starts, strict=True)):
        chosen = [targets[row, i].item() != -100 for i in range(len(pieces))]
        assert any(chosen), "every sentence must have at least one masked word"
        assert attention[row, : len(pieces)].all() and not attention[row, len(pieces) :].any()
        for i, piece in enumerate(pieces):
            if piece in special:
                assert not chosen[i]
            if chosen[i]:
                assert targets[row, i].item() == piece
            # A piece that continues a word is masked exactly when the piece before it is.
            if i and not opens[i] and pieces[i - 1] not in special and piece not in special:
                assert chosen[i] == chosen[i - 1]
        assert (targets[row, len(pieces) :] == -100).all()
    share = (inputs[targets != -100] == tokenizer.mask_token_id).float().mean().item()
    assert 0.65 < share < 0.95  # 80 % of the chosen words become <mask>


def test_loss_on_masked_pieces_matches_the_full_head(tokenizer, train_texts):
    config = ModelConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_length=48
    )
    from training.model import encoder_config

    torch.manual_seed(0)
    model = CamembertForMaskedLM(encoder_config(config, tokenizer)).eval()
    ids = tokenizer(train_texts[:8], truncation=True, max_length=48)["input_ids"]
    inputs = mask_words(ids, [word_starts(tokenizer, r) for r in ids], tokenizer, 0.15, random.Random(1))
    with torch.no_grad():
        full = model(input_ids=inputs[0], attention_mask=inputs[1], labels=inputs[2]).loss
        ours = masked_lm_loss(model, *inputs)
    assert torch.allclose(full, ours, atol=1e-5)


def test_pretraining_writes_an_encoder_that_fine_tuning_starts_from(tmp_path):
    text_file = tmp_path / "text.jsonl"
    text_file.write_text(
        "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in corpus_texts("train", 200)),
        encoding="utf-8",
    )
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join(json.dumps({"text": t}) + "\n" for t in corpus_texts("validation", 40)))
    out = tmp_path / "encoder"
    overrides = [
        *TINY,
        f"pretrain.text_files=[{text_file}]",
        f"pretrain.heldout_file={heldout}",
        f"pretrain.output_dir={out}",
        "pretrain.epochs=3",
        "pretrain.learning_rate=2e-3",
        "pretrain.batch_size=16",
    ]
    metrics = pretrain(None, overrides)
    history = metrics["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert metrics["sentences"] == 200 and metrics["heldout_sentences"] == 40
    with safe_open(out / "model.safetensors", "pt") as weights:
        assert {weights.get_tensor(k).dtype for k in weights.keys()} == {torch.float16}
    assert (out / "pretrain_config.yaml").is_file() and not (out / ".staging").exists()

    # Fine-tuning loads it in float32 with its own tokenizer and a fresh four-label head.
    model, tokenizer = build_model(ModelConfig(name_or_path=str(out), max_length=48))
    assert model.dtype == torch.float32 and model.config.num_labels == 4
    assert model.config.id2label[0] == "accusation"
    assert tokenizer.get_vocab() == AutoTokenizer.from_pretrained(out).get_vocab()
    encoder = CamembertForMaskedLM.from_pretrained(out, dtype=torch.float32)
    same = encoder.roberta.embeddings.word_embeddings.weight
    assert torch.equal(model.roberta.embeddings.word_embeddings.weight, same)


def test_pretraining_refuses_evaluation_sentences(tmp_path):
    leaked = corpus_texts("test", 3)
    text_file = tmp_path / "text.jsonl"
    text_file.write_text("".join(json.dumps({"text": t}) + "\n" for t in [*corpus_texts("train", 20), *leaked]))
    with pytest.raises(ValueError, match="3 pretraining sentences are in"):
        pretrain(None, [*TINY, f"pretrain.text_files=[{text_file}]", "pretrain.heldout_file=null"])


def test_a_bad_text_line_is_named(tmp_path):
    text_file = tmp_path / "text.jsonl"
    text_file.write_text('{"text": "Une phrase."}\n{"txt": "oubli"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"text.jsonl:2: expected a JSON object with a 'text' field"):
        pretrain(None, [*TINY, f"pretrain.text_files=[{text_file}]"])


def test_prior_options_are_refused_with_a_pretrained_encoder():
    with pytest.raises(ValueError, match="model.name_or_path"):
        ModelConfig(name_or_path="models/mini-encoder", embedding_init="fr_core_news_md")


def test_pretraining_text_checks_name_copies_and_forbidden_events(tmp_path):
    from training.corpus.checks import read_corpus
    from training.corpus.pretrain_text import check_pretrain_text

    from .conftest import ROOT

    claims = ROOT / "data" / "claims"
    dev = json.loads((claims / "dev_real.jsonl").read_text(encoding="utf-8").splitlines()[0])
    test_sentence = corpus_texts("test", 1)[0]
    good = {"event": "2016: un événement inventé pour ce test", "domain": "justice", "region": "France"}
    rows = [
        {**good, "id": "t-001-01", "text": "Le tribunal a renvoyé l'audience au mois de mars, selon l'avocat."},
        {**good, "id": "t-001-02", "text": test_sentence + " "},
        {**good, "id": "t-001-03", "event": "2017: un autre", "text": "La ministre a rejeté ces accusations."},
        {**good, "id": "t-001-04", "event": dev["event"], "text": "Le porte-parole n'a pas souhaité commenter."},
        {**good, "id": "t-001-04", "domain": "sport", "text": "Les deux clubs ont signé un accord mardi soir."},
    ]
    folder = tmp_path / "pretrain"
    folder.mkdir()
    (folder / "w.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    errors, stats = check_pretrain_text(folder, read_corpus(claims)[0])
    text = "\n".join(errors)
    assert "w.jsonl:2: copies" in text and "test.jsonl" in text
    assert "w.jsonl:3: event '2017: un autre' must read 'YEAR: episode' with an even year" in text
    assert "w.jsonl:4:" in text and "is a dev_real event" in text
    assert "w.jsonl:5: duplicate id 't-001-04'" in text and "domain 'sport'" in text
    assert not any(e.startswith(f"{folder / 'w.jsonl'}:1:") for e in errors)
    assert stats.startswith("Unlabelled pretraining text (`data/pretrain/`): 5 sentences, 1 articles")


def test_the_committed_encoder_is_what_its_config_makes():
    """models/mini-encoder records the config that made it; it must be the one ``claims pretrain`` runs."""
    import yaml

    from .conftest import ROOT

    encoder = ROOT / "models" / "mini-encoder"
    recorded = yaml.safe_load((encoder / "pretrain_config.yaml").read_text(encoding="utf-8"))
    shipped = yaml.safe_load((ROOT / "configs" / "pretrain-mini.yaml").read_text(encoding="utf-8"))
    for section in ("model", "pretrain"):
        for key, value in shipped[section].items():
            assert recorded[section][key] == value, f"{section}.{key}"
    assert (encoder / "model.safetensors").stat().st_size <= 25 * 2**20
    model = CamembertForMaskedLM.from_pretrained(encoder, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    assert model.config.vocab_size == len(tokenizer) and model.config.max_position_embeddings == 162
    # It learnt French: the masked word of a wire sentence ranks among its 20 best guesses.
    text = f"Le ministre a {tokenizer.mask_token} ces accusations, qu'il juge sans fondement."
    batch = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits[0, batch["input_ids"][0].tolist().index(tokenizer.mask_token_id)]
    guesses = tokenizer.convert_ids_to_tokens(logits.topk(20).indices.tolist())
    assert {"▁rejeté", "▁démenti", "▁réfuté", "▁contesté", "▁dénoncé", "▁balayé"} & set(guesses), guesses
