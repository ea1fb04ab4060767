"""Token-budget batches, chunked tokenisation and precision choice: budgets hold, order survives, errors are plain."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference import Classifier, TruncationWarning, predict
from inference.batching import DEFAULTS, Encoded, encode_chunks, pad_rows, plan_batches
from inference.precision import resolve_precision

from .conftest import corpus_texts

LONG = " ".join(["Le gouvernement a présenté un plan de relance très détaillé."] * 200)


def varied_texts(n: int) -> list[str]:
    """Corpus sentences cut to 2-12 words: lengths differ, and all fit the tiny model's 48 tokens."""
    return [" ".join(text.split()[: 2 + i % 11]) for i, text in enumerate(corpus_texts("test", n))]


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 300), max_size=80),
    max_tokens=st.integers(1, 2000),
    max_sentences=st.integers(1, 40),
)
def test_every_batch_respects_the_budget_and_every_row_appears_once(lengths, max_tokens, max_sentences):
    batches = plan_batches(lengths, max_tokens, max_sentences)
    rows = np.concatenate(batches) if batches else np.array([], dtype=np.int64)
    assert sorted(rows.tolist()) == list(range(len(lengths)))
    for batch in batches:
        width = max(lengths[i] for i in batch)
        assert 1 <= len(batch) <= max_sentences
        assert len(batch) == 1 or width * len(batch) <= max_tokens
    # Longest first, so each batch pads only to its own first row.
    assert [lengths[i] for i in rows] == sorted(lengths, reverse=True)


def test_a_sentence_over_the_budget_runs_alone():
    batches = plan_batches([10, 500, 12, 11], max_tokens=64, max_sentences=8)
    assert [b.tolist() for b in batches] == [[1], [2, 3, 0]]


def test_short_sentences_make_larger_batches_than_long_ones():
    lengths = [100] * 10 + [10] * 100
    sizes = [len(b) for b in plan_batches(lengths, max_tokens=1000, max_sentences=64)]
    assert sizes[0] == 10 and max(sizes[1:]) == 64


def test_bad_budget_is_refused():
    with pytest.raises(ValueError, match="must be positive"):
        plan_batches([3, 4], max_tokens=0, max_sentences=4)


def test_pad_rows_rounds_the_width_up_and_masks_the_padding():
    ids, mask = pad_rows([[5, 6, 7], [8], [9, 9]], np.array([0, 2]), pad_id=1, multiple=8)
    assert ids.shape == mask.shape == (2, 8)
    assert ids[0].tolist() == [5, 6, 7, 1, 1, 1, 1, 1] and ids[1].tolist() == [9, 9, 1, 1, 1, 1, 1, 1]
    assert mask.sum(axis=1).tolist() == [3, 2]


@pytest.mark.parametrize("prefetch", [False, True])
def test_chunks_come_back_in_order_with_their_offsets(prefetch):
    texts = [f"phrase {i}" for i in range(10)]
    chunks = list(encode_chunks(lambda part: Encoded([[len(t)] for t in part], []), texts, 3, prefetch))
    assert [offset for offset, _ in chunks] == [0, 3, 6, 9]
    assert sum(len(c.ids) for _, c in chunks) == 10


def test_output_order_is_kept_with_tiny_budgets_chunks_and_prefetch(tiny_model_dir):
    texts = varied_texts(40)
    assert len({len(t) for t in texts}) > 10
    reference = Classifier(tiny_model_dir, device="cpu", batch_size=1).predict_logits(texts)
    clf = Classifier(tiny_model_dir, device="cpu", batch_size=7, max_tokens=96)
    clf._chunk_size, clf._prefetch, clf._multiple = 9, True, 8  # the CUDA path's chunking, on CPU
    np.testing.assert_allclose(clf.predict_logits(texts), reference, atol=1e-5)
    shuffled = np.random.default_rng(0).permutation(len(texts))
    np.testing.assert_allclose(clf.predict_logits([texts[i] for i in shuffled]), reference[shuffled], atol=1e-5)


def test_truncation_warning_names_the_right_text_across_chunks(tiny_model_dir):
    clf = Classifier(tiny_model_dir, device="cpu")
    clf._chunk_size = 2
    texts = ["Le maire dément.", "La préfète rassure.", "Court.", LONG]
    with pytest.warns(TruncationWarning, match=r"1 of 4 text.*texts\[3\]"):
        clf.predict(texts)
    assert clf.truncated_total == 1


def test_defaults_follow_the_device(tiny_model_dir):
    clf = Classifier(tiny_model_dir, device="cpu")
    assert (clf.batch_size, clf.max_tokens) == (DEFAULTS["cpu"].batch_size, DEFAULTS["cpu"].max_tokens)
    assert clf.precision == "fp32" and "precision='fp32'" in repr(clf)
    assert clf.engine.attention == "sdpa"


@pytest.mark.parametrize("value", [0, -5, 2.5, True])
def test_bad_max_tokens_is_rejected(tiny_model_dir, value):
    with pytest.raises(ValueError, match="max_tokens must be a positive integer"):
        Classifier(tiny_model_dir, max_tokens=value)


def test_auto_precision_is_fp32_on_cpu():
    assert resolve_precision("auto", "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"
    assert resolve_precision("fp32", "cuda:0") == "fp32"


@pytest.mark.parametrize(("major", "expected"), [(9, "bf16"), (8, "bf16"), (7, "fp16")])
def test_auto_precision_on_cuda_follows_the_compute_capability(monkeypatch, major, expected):
    import torch

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (major, 0))
    assert resolve_precision("auto", "cuda") == expected


def test_fp16_on_cpu_and_unknown_precisions_are_refused(tiny_model_dir):
    with pytest.raises(ValueError, match="fp16.*needs a CUDA device"):
        resolve_precision("fp16", "cpu")
    with pytest.raises(ValueError, match="precision must be one of auto, fp32, bf16, fp16, got 'half'"):
        resolve_precision("half", "cpu")
    with pytest.raises(ValueError, match="needs a CUDA device"):
        predict("Le maire dément.", model=tiny_model_dir, device="cpu", precision="fp16")


def test_bf16_on_cpu_stays_close_to_fp32(tiny_model_dir):
    texts = varied_texts(60)
    fp32 = Classifier(tiny_model_dir, device="cpu").predict_proba(texts)
    bf16 = Classifier(tiny_model_dir, device="cpu", precision="bf16")
    assert bf16.precision == "bf16"
    probs = bf16.predict_proba(texts)
    assert probs.dtype == np.float32
    assert np.abs(probs - fp32).max() < 0.01
    assert not np.array_equal(probs, fp32)  # bf16 really ran


def test_onnx_backend_refuses_a_torch_precision(tiny_model_dir):
    with pytest.raises(ValueError, match="onnx backend runs the precision of its file"):
        Classifier(tiny_model_dir, backend="onnx", precision="bf16")


def test_cli_precision_error_is_plain(tiny_model_dir, tmp_path, capsys):
    from inference.cli import main

    source = tmp_path / "in.txt"
    source.write_text("Le maire dément.\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main([str(source), "--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp16"])
    assert code == 2
    assert "needs a CUDA device" in capsys.readouterr().err


def test_architecture_without_sdpa_falls_back_to_its_default_attention(tiny_model_dir, monkeypatch):
    from transformers import AutoModelForSequenceClassification

    original = AutoModelForSequenceClassification.from_pretrained
    refused = []

    def without_sdpa(*args, **kwargs):
        if kwargs.get("attn_implementation") == "sdpa":
            refused.append(True)
            raise ValueError("X does not support an attention implementation through "
                             "torch.nn.functional.scaled_dot_product_attention yet.")  # fmt: skip
        return original(*args, **kwargs)

    monkeypatch.setattr(AutoModelForSequenceClassification, "from_pretrained", without_sdpa)
    clf = Classifier(tiny_model_dir, device="cpu")
    assert refused and clf.predict("Le maire dément.").score > 0
