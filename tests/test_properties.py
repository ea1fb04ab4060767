"""Property-based tests (hypothesis): hostile text never crashes or reorders, offsets always slice back,
the loader either loads or names the file and line."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from inference import Classifier, split_sentences
from training.data import DataError, read_rows

# Every code point, surrogates and control characters included.
ANY_CHAR = st.characters(exclude_categories=())
HOSTILE = [
    "Le ministre 😀🔥 dément tout 👏🏽.",
    "قال المتحدث إن الاتهامات لا أساس لها. Le porte-parole dément.",
    "\u202eesrever\u202c et \u200b\u200d invisibles",
    "nul\x00byte\x00inside",
    "lone \ud800 surrogate and \udfff another",
    "<script>alert('x')</script><p>Le <b>maire</b> accuse &amp; dément</p>",
    "\r\n\t\x0b\x0c",
    "x" * 100_000,
    "« " * 500 + "fin",
]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", params=["encoder", "fused"])
def clf(request, tiny_model_dir, tmp_path_factory):
    """The tiny model alone, and with a lexical channel (its n-grams see the whole text, hostile or not)."""
    if request.param == "encoder":
        return Classifier(tiny_model_dir, batch_size=4)
    import shutil

    from inference.labels import LABELS
    from training.lexical import fit_lexical, save_lexical

    from .conftest import corpus_texts

    model = shutil.copytree(tiny_model_dir, tmp_path_factory.mktemp("fused") / "model")
    texts = corpus_texts("train", 200)
    labels = [LABELS[i % len(LABELS)] for i in range(len(texts))]  # any labels: only the plumbing is tested
    fit = fit_lexical(texts, [LABELS.index(label) for label in labels], LABELS)
    fit.weight = 0.5
    save_lexical(fit, model)
    fused = Classifier(model, batch_size=4)
    assert fused.lexical is not None
    return fused


@SETTINGS
@given(st.lists(st.text(ANY_CHAR, min_size=0, max_size=300), min_size=0, max_size=6))
@example(HOSTILE)
def test_predict_never_crashes_or_reorders(clf, texts):
    blank = [i for i, t in enumerate(texts) if not t.strip()]
    if blank:
        with pytest.raises(ValueError, match=rf"texts\[{blank[0]}\] is empty"):
            clf.predict(texts)
        return
    batch = clf.predict(texts)
    assert len(batch) == len(texts)
    for text, prediction in zip(texts, batch):
        alone = clf.predict(text)
        assert alone.label == prediction.label
        assert alone.scores[alone.label] == pytest.approx(prediction.scores[alone.label], abs=1e-5)
        assert sum(prediction.scores.values()) == pytest.approx(1.0, abs=1e-5)


SPLITTER_TEXT = st.lists(
    st.one_of(st.sampled_from(list('aZé .!?…«»"“”()-•*1,;:\n\t') + ["M.", "Dr", "...", "\n\n", "- "]), ANY_CHAR),
    max_size=200,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(SPLITTER_TEXT)
@example("« Une. Deux. » Trois... M. X, 3,5 %.\n- puce\n\nFin")
def test_splitter_offsets_always_slice_back(text):
    sentences = split_sentences(text)
    previous_end = 0
    for s in sentences:
        assert text[s.start : s.end] == s.text
        assert s.start >= previous_end and s.start < s.end
        assert s.text == s.text.strip() and s.text
        previous_end = s.end
    # Nothing but whitespace and bullet markers is lost between sentences.
    covered = "".join(s.text for s in sentences)
    assert len(re.sub(r"\s", "", covered)) >= len(re.sub(r"\s", "", text)) - text.count("\n") * 4 - 4


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300), st.sampled_from([".jsonl", ".csv"]))
@example(b'{"text": "ok", "label": "denial"}\n\xff\xfe broken', ".jsonl")
@example(b'text,label\n"unclosed,denial\n', ".csv")
@example(b"[" * 5000, ".jsonl")
def test_loader_loads_or_names_file_and_line(tmp_path, payload, suffix):
    path = tmp_path / f"input{suffix}"
    path.write_bytes(payload)
    try:
        rows = read_rows(path)
    except DataError as error:
        message = str(error)
        assert message.startswith(str(path))
        assert re.match(rf"{re.escape(str(path))}(:\d+)?: ", message)
    else:
        assert rows and all(isinstance(r["text"], str) and r["text"].strip() for r in rows)


@SETTINGS
@given(
    st.lists(
        st.tuples(st.text(ANY_CHAR, min_size=1, max_size=80), st.sampled_from(["accusation", "denial", "x"])),
        min_size=1,
        max_size=8,
    )
)
def test_loader_on_generated_jsonl(tmp_path, rows):
    import json

    path = tmp_path / "gen.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in rows), encoding="utf-8")
    bad = next((i for i, (t, label) in enumerate(rows, 1) if not t.strip() or label == "x"), None)
    if bad is None:
        assert [r["text"] for r in read_rows(path)] == [t for t, _ in rows]
    else:
        with pytest.raises(DataError, match=rf"gen\.jsonl:{bad}: "):
            read_rows(path)
