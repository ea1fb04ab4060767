"""predict() / Classifier: types, order, caching, model lookup, long texts, bad inputs, bad model folders."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import warnings

import pytest

import inference
from inference import Classifier, ModelLoadError, Prediction, TruncationWarning, get_classifier, predict
from inference.labels import LABELS

from .conftest import ROOT

SENTENCES = [
    "Le ministre a démenti toute implication dans l'affaire.",
    "Court.",
    "L'opposition reproche au gouvernement d'avoir caché le rapport pendant des mois, "
    "selon un communiqué publié mardi.",
    "« Il n'y a aucun danger pour la population », assure la préfète.",
    "Le procès s'ouvrira le 3 mars.",
]


@pytest.fixture
def clf(tiny_model_dir):
    return Classifier(tiny_model_dir, batch_size=2)


def test_single_string_returns_one_prediction(clf):
    p = clf.predict(SENTENCES[0])
    assert isinstance(p, Prediction)
    assert p.label in LABELS
    assert set(p.scores) == set(LABELS)
    assert math.isclose(sum(p.scores.values()), 1.0, abs_tol=1e-5)
    assert p.score == max(p.scores.values()) == p.scores[p.label]


def test_list_returns_predictions_in_input_order(clf):
    batch = clf.predict(SENTENCES)
    assert isinstance(batch, list) and len(batch) == len(SENTENCES)
    one_by_one = [clf.predict(s) for s in SENTENCES]
    for a, b in zip(batch, one_by_one):
        assert a.label == b.label
        for label in LABELS:
            assert a.scores[label] == pytest.approx(b.scores[label], abs=1e-5)


def test_order_survives_length_sorting_with_reversed_input(clf):
    forward = clf.predict(SENTENCES)
    backward = clf.predict(SENTENCES[::-1])
    for a, b in zip(forward, backward[::-1]):
        assert a.label == b.label
        assert [a.scores[k] for k in LABELS] == pytest.approx([b.scores[k] for k in LABELS], abs=1e-5)


def test_empty_list_gives_empty_list(clf):
    assert clf.predict([]) == []
    assert clf.predict(()) == []


def test_prediction_converts_to_plain_dict_and_json(clf):
    p = clf.predict(SENTENCES[3])
    d = p.to_dict()
    assert set(d) == {"label", "score", "scores"} and isinstance(d["score"], float)
    assert json.loads(p.to_json()) == json.loads(json.dumps(d))


def test_labels_come_from_the_checkpoint(tiny_model_dir, tmp_path):
    folder = shutil.copytree(tiny_model_dir, tmp_path / "reordered")
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {"0": "neutral", "1": "reassurance", "2": "denial", "3": "accusation"}
    config["label2id"] = {v: int(k) for k, v in config["id2label"].items()}
    (folder / "config.json").write_text(json.dumps(config))
    assert Classifier(folder).labels == ("neutral", "reassurance", "denial", "accusation")


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (None, TypeError, "got NoneType"),
        (42, TypeError, "got int"),
        (b"octets", TypeError, "got bytes"),
        (["ok", None], TypeError, r"texts\[1\] must be a string, got NoneType"),
        (["ok", "fine", 3.5], TypeError, r"texts\[2\] must be a string, got float"),
        ([["nested"]], TypeError, r"texts\[0\] must be a string, got list"),
        (["ok", ""], ValueError, r"texts\[1\] is empty"),
        (["   \n\t"], ValueError, r"texts\[0\] is empty"),
    ],
)
def test_bad_inputs_raise_naming_the_position(clf, bad, error, message):
    with pytest.raises(error, match=message):
        clf.predict(bad)


def test_long_text_is_truncated_with_a_counted_warning(clf):
    long_text = " ".join(["Le gouvernement a présenté un plan de relance très détaillé."] * 200)
    with pytest.warns(TruncationWarning, match="1 of 2 text"):
        result = clf.predict([long_text, SENTENCES[0]])
    assert len(result) == 2 and result[0].label in LABELS


def test_short_texts_do_not_warn(clf):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncationWarning)
        clf.predict(SENTENCES[:1])


def test_predict_caches_the_model_per_path_and_device(tiny_model_dir):
    first = get_classifier(tiny_model_dir, device="cpu")
    assert get_classifier(str(tiny_model_dir), device="cpu") is first
    assert predict(SENTENCES[0], model=tiny_model_dir, device="cpu").label in LABELS
    assert get_classifier(tiny_model_dir, device="cpu") is first


def test_model_from_environment_variable(tiny_model_dir, monkeypatch):
    monkeypatch.setenv("CLAIMS_MODEL", str(tiny_model_dir))
    assert predict(SENTENCES[1]).label in LABELS
    assert get_classifier().path == tiny_model_dir.resolve()


def test_no_model_anywhere_says_how_to_get_one(monkeypatch, tmp_path):
    monkeypatch.delenv("CLAIMS_MODEL", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelLoadError, match="CLAIMS_MODEL.*claims train --config configs/camembert-mini.yaml"):
        predict("Une phrase.")


def _broken_copy(src, tmp_path, name):
    return shutil.copytree(src, tmp_path / name)


def test_missing_weights_are_named(tiny_model_dir, tmp_path):
    folder = _broken_copy(tiny_model_dir, tmp_path, "noweights")
    (folder / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match=r"model\.safetensors is missing"):
        Classifier(folder)


def test_truncated_weights_are_named(tiny_model_dir, tmp_path):
    folder = _broken_copy(tiny_model_dir, tmp_path, "truncated")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    with pytest.raises(ModelLoadError, match=r"model\.safetensors is truncated"):
        Classifier(folder)


def test_garbage_weights_are_named(tiny_model_dir, tmp_path):
    folder = _broken_copy(tiny_model_dir, tmp_path, "garbage")
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelLoadError, match=r"model\.safetensors is corrupt"):
        Classifier(folder)


def test_corrupt_config_is_named(tiny_model_dir, tmp_path):
    folder = _broken_copy(tiny_model_dir, tmp_path, "badconfig")
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match=r"config\.json is corrupt"):
        Classifier(folder)


def test_missing_tokenizer_is_named(tiny_model_dir, tmp_path):
    folder = _broken_copy(tiny_model_dir, tmp_path, "notok")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelLoadError, match=r"tokenizer\.json is missing"):
        Classifier(folder)


def test_unexpected_labels_are_refused_unless_accepted(tiny_model_dir, tmp_path):
    folder = _broken_copy(tiny_model_dir, tmp_path, "sentiment")
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {"0": "positive", "1": "negative", "2": "mixed", "3": "none"}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="predicts.*expected.*accept_any_labels"):
        Classifier(folder)
    assert Classifier(folder, accept_any_labels=True).predict("Une phrase simple.").label in {
        "positive",
        "negative",
        "mixed",
        "none",
    }


def test_pickle_only_checkpoint_is_refused_without_unpickling(tiny_model_dir, tmp_path):
    folder = _broken_copy(tiny_model_dir, tmp_path, "pickle")
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "pwned"
    # A pickle that would create a file if it were ever loaded.
    payload = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    (folder / "pytorch_model.bin").write_bytes(payload)
    with pytest.raises(ModelLoadError, match="pickle checkpoint; only safetensors"):
        Classifier(folder)
    assert not marker.exists()


def test_remote_code_config_is_refused(tiny_model_dir, tmp_path):
    folder = _broken_copy(tiny_model_dir, tmp_path, "remote")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSequenceClassification": "evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "evil.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w').write('x')\n")
    with pytest.raises(ModelLoadError, match="remote code"):
        Classifier(folder)
    assert not (tmp_path / "ran").exists()


def test_bad_batch_size_is_rejected(tiny_model_dir):
    with pytest.raises(ValueError, match="batch_size"):
        Classifier(tiny_model_dir, batch_size=0)


def test_inference_works_without_the_training_stack(tiny_model_dir):
    """inference needs torch and transformers only: it predicts with training, datasets, evaluate and
    accelerate made unimportable (a ``None`` entry in sys.modules acts as "not installed")."""
    code = (
        "import sys\n"
        "for name in ('training', 'datasets', 'evaluate', 'accelerate'):\n"
        "    sys.modules[name] = None\n"
        "from inference import predict, predict_document\n"
        f"p = predict('Le maire dément.', model={str(tiny_model_dir)!r})\n"
        f"d = predict_document('Le maire dément. Le préfet rassure.', model={str(tiny_model_dir)!r})\n"
        "print(p.label, len(d.sentences))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    label, count = out.stdout.split()[-2:]
    assert label in LABELS and count == "2"


def test_inference_source_never_imports_the_training_stack():
    for path in (ROOT / "inference").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for name in ("training", "datasets", "evaluate", "accelerate"):
            assert f"import {name}" not in source and f"from {name}" not in source, (path, name)


def test_public_api():
    for name in ("predict", "predict_document", "Classifier", "Prediction", "split_sentences", "LABELS"):
        assert hasattr(inference, name)
