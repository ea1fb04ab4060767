"""The lexical channel: numpy scoring equal to scikit-learn's, weight choice, checkpoint round trip, bad files."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from inference.checkpoint import ModelLoadError, model_fingerprint
from inference.labels import LABELS
from inference.lexical import LEXICAL_JSON, LEXICAL_WEIGHTS, LexicalChannel, char_wb_ngrams, word_ngrams
from inference.predictor import Classifier
from tests.conftest import ROOT, TINY_CONFIG, corpus_texts
from training.evaluation.report import ENCODER_ALONE, evaluate_model
from training.lexical import choose_weight, fit_lexical, fit_to_channel, save_lexical
from training.rows import read_rows

ODD = [
    "a",
    "x  y",
    "L'État, c'est… « moi » !",
    "ﬁ Ÿ İ",
    "Kiev\tdément\n\ntout",
    "NON. Non ? non !",
    "2026-11-28",
    "https://exemple.fr/" + "démenti-" * 30 + " et accuse",
]  # a word too long for the channel's cache


def _rows(split: str, limit: int) -> tuple[list[str], list[int]]:
    rows = read_rows(ROOT / "data" / "claims" / f"{split}.jsonl")[:limit]
    return [r["text"] for r in rows], [LABELS.index(r["label"]) for r in rows]


@pytest.fixture(scope="module")
def fitted():
    texts, labels = _rows("train", 400)
    return fit_lexical(texts, labels, LABELS)


words = st.text(alphabet=st.sampled_from(list("aéeÉ' -,.«»\t\nxyzçŒ0")), max_size=60)


@settings(max_examples=200, deadline=None)
@given(words)
def test_ngram_analyzers_equal_scikit_learn(text):
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    word = TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()
    assert char_wb_ngrams(text, 2, 5) == char(text)
    assert word_ngrams(text, 1, 2) == word(text)


def test_channel_scores_equal_scikit_learn(fitted):
    texts = corpus_texts("dev_real", 200) + ODD
    features = hstack([v.transform(texts) for v in fitted.vectorizers]).tocsr()
    expected = fitted.classifier.predict_proba(features)
    got = np.exp(fit_to_channel(fitted).log_proba(texts))
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_two_labels_score_like_scikit_learn():
    texts, gold = _rows("train", 300)
    binary = [int(label == LABELS.index("denial")) for label in gold]
    fit = fit_lexical(texts, binary, ["other", "denial"])
    probe = corpus_texts("dev_real", 50) + ODD
    features = hstack([v.transform(probe) for v in fit.vectorizers]).tocsr()
    np.testing.assert_allclose(
        np.exp(fit_to_channel(fit).log_proba(probe)), fit.classifier.predict_proba(features), atol=1e-6
    )


def test_huge_inputs_are_fused_in_slices(tiny_model_dir, fitted, tmp_path, monkeypatch):
    import inference.predictor as predictor

    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    fitted.weight = 0.4
    save_lexical(fitted, model)
    texts = corpus_texts("test", 30)
    whole = Classifier(model, device="cpu", accept_any_labels=True).predict_logits(texts)
    monkeypatch.setattr(predictor, "LEXICAL_SLICE", 7)
    np.testing.assert_allclose(Classifier(model, device="cpu", accept_any_labels=True).predict_logits(texts), whole)


def test_a_temperature_applies_only_to_the_scores_it_was_fitted_on(tiny_model_dir, fitted, tmp_path):
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    fitted.weight = 0.4
    save_lexical(fitted, model)
    for recorded, fused_t, encoder_t in ((True, 0.5, 1.0), (False, 1.0, 0.5), (None, 0.5, 0.5)):
        payload = {"temperature": 0.5} | ({} if recorded is None else {"lexical": recorded})
        (model / "calibration.json").write_text(json.dumps(payload), encoding="utf-8")
        assert Classifier(model, device="cpu", accept_any_labels=True).temperature == fused_t
        assert Classifier(model, device="cpu", accept_any_labels=True, lexical=False).temperature == encoder_t


def test_weight_is_chosen_on_validation_and_ties_go_to_the_encoder(fitted):
    texts, gold = _rows("validation", 200)
    lexical = fit_to_channel(fitted).log_proba(texts)
    perfect = np.eye(len(LABELS))[gold] * 10.0  # an encoder that is always right: mixing cannot beat it
    assert choose_weight(fitted, perfect, lexical, gold).weight == 0.0
    useless = np.zeros((len(gold), len(LABELS)))  # a constant encoder: only the n-grams can tell labels apart
    chosen = choose_weight(fitted, useless, lexical, gold)
    assert chosen.weight > 0
    assert chosen.validation["fused"] == pytest.approx(chosen.validation["lexical"], abs=1e-4)
    assert chosen.validation["encoder"] < chosen.validation["fused"]


def test_fused_scores_mix_log_probabilities(tiny_model_dir, fitted, tmp_path):
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    texts = corpus_texts("test", 40)
    plain = Classifier(model, device="cpu", accept_any_labels=True)
    fitted.weight = 0.3
    save_lexical(fitted, model)
    fused = Classifier(model, device="cpu", accept_any_labels=True)
    assert fused.lexical is not None and fused.lexical.weight == 0.3
    assert Classifier(model, device="cpu", accept_any_labels=True, lexical=False).lexical is None
    shifted = plain.predict_logits(texts).astype(np.float64)
    shifted -= shifted.max(axis=1, keepdims=True)
    log_encoder = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = 0.7 * log_encoder + 0.3 * fused.lexical.log_proba(texts)
    np.testing.assert_allclose(fused.predict_logits(texts), expected, atol=1e-4)
    probs = fused.predict_proba(texts)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert "lexical.json" in model_fingerprint(model) and "lexical.safetensors" in model_fingerprint(model)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / LEXICAL_JSON).write_text("{not json", encoding="utf-8"), "cannot read the lexical channel"),
        (lambda d: _edit(d, labels=list(reversed(LABELS))), "do not match the model's"),
        (lambda d: _edit(d, weight=1.5), "weight must be a number in (0, 1]"),
        (lambda d: (d / LEXICAL_WEIGHTS).write_bytes(b"\x00" * 20), "cannot read the lexical weights"),
        (lambda d: _edit(d, blocks=json.loads((d / LEXICAL_JSON).read_text())["blocks"][:1]), "coef must be"),
        (
            lambda d: _edit(
                d, blocks=[{k: v for k, v in b.items() if k != "ngram_range"} for b in _spec(d)["blocks"]]
            ),
            "needs an ngram_range",
        ),
    ],
)
def test_a_damaged_channel_is_refused_naming_the_file(tiny_model_dir, fitted, tmp_path, damage, message):
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    fitted.weight = 0.5
    save_lexical(fitted, model)
    damage(model)
    with pytest.raises(ModelLoadError, match="lexical") as error:
        Classifier(model, device="cpu", accept_any_labels=True)
    assert message in str(error.value)


def _spec(folder):
    return json.loads((folder / LEXICAL_JSON).read_text(encoding="utf-8"))


def _edit(folder, **fields):
    spec = json.loads((folder / LEXICAL_JSON).read_text(encoding="utf-8"))
    spec.update(fields)
    (folder / LEXICAL_JSON).write_text(json.dumps(spec), encoding="utf-8")


def test_training_with_the_channel_publishes_and_reports_it(tmp_path):
    from training.train import main

    out = tmp_path / "model"
    metrics = main(TINY_CONFIG, ["model.lexical_channel=true"], output_dir=out)
    lexical = metrics["lexical"]
    assert set(metrics["encoder_only"]) == {"validation", "dev", "test"}
    scores = {float(w): s for w, s in lexical["validation_macro_f1"]["by_weight"].items()}
    assert scores[lexical["weight"]] == max(scores.values())
    assert all(scores[w] < scores[lexical["weight"]] for w in scores if w < lexical["weight"])
    assert metrics["validation"]["macro_f1"] == pytest.approx(lexical["validation_macro_f1"]["fused"], abs=1e-4)
    # The tiny encoder (two epochs on 300 sentences) is weak, so the n-grams earn a place.
    assert lexical["written"] and lexical["weight"] > 0 and (out / LEXICAL_JSON).is_file()
    # The evaluation report scores the encoder alone next to the baselines: what the channel adds.
    report = evaluate_model(out, tmp_path / "report", split="test", n_bootstrap=10)
    alone = report["baselines"][ENCODER_ALONE]["macro_f1"]
    assert alone == pytest.approx(metrics["encoder_only"]["test"]["macro_f1"], abs=1e-4)
    assert report["metrics"]["macro_f1"] == pytest.approx(metrics["test"]["macro_f1"], abs=1e-4)
    # Retraining into the folder without the channel removes the stale one (it was fitted with old weights).
    main(TINY_CONFIG, ["training.num_train_epochs=1"], output_dir=out, overwrite=True)
    assert not (out / LEXICAL_JSON).exists() and not (out / LEXICAL_WEIGHTS).exists()
    assert LexicalChannel.present(out) is False


def test_claims_predict_uses_the_channel_unless_told_not_to(tiny_model_dir, fitted, tmp_path):
    from training.cli import build_parser, main
    from training.deploy.batch import run_batch

    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    fitted.weight = 0.5
    save_lexical(fitted, model)
    texts = corpus_texts("test", 30)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    for flags, lexical in (([], True), (["--no-lexical"], False)):
        out = tmp_path / f"out-{lexical}.jsonl"
        argv = ["predict", str(source), "--model", str(model), "--accept-any-labels", "-o", str(out), *flags]
        assert main(argv) == 0
        got = [json.loads(line)["scores"] for line in out.read_text(encoding="utf-8").splitlines()]
        expected = Classifier(model, accept_any_labels=True, lexical=lexical).predict(texts)
        assert all(abs(g[k] - e.scores[k]) < 1e-4 for g, e in zip(got, expected) for k in e.scores)  # 4 decimals
    # Batch mode records the channel in its manifest: resuming without it would mix two kinds of scores.
    folder = tmp_path / "batch"
    argv = ["predict", str(source), "--model", str(model), "--accept-any-labels", "--output-dir", str(folder)]
    assert main(argv) == 0
    assert json.loads((folder / "manifest.json").read_text())["lexical"] is True
    with pytest.raises(ValueError, match="cannot resume: lexical differs"):
        run_batch(build_parser().parse_args([*argv, "--resume", "--no-lexical"]))
