"""ONNX export and the ONNX Runtime backend: files written atomically, same outputs and errors as torch."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from inference import Classifier, ModelLoadError, TruncationWarning
from inference.labels import LABELS
from training.deploy.export import export_onnx

from .conftest import ROOT

pytest.importorskip("onnxruntime")

SENTENCES = [
    "Le ministre a démenti toute implication dans l'affaire.",
    "Court.",
    "L'opposition reproche au gouvernement d'avoir caché le rapport pendant des mois, selon un communiqué.",
    "« Il n'y a aucun danger pour la population », assure la préfète.",
    "Le procès s'ouvrira le 3 mars.",
    "Selon l'association, la mairie aurait ignoré les alertes des habitants.",
    "Rien à signaler.",
]


@pytest.fixture(scope="module")
def exported_dir(tiny_model_dir, tmp_path_factory):
    """A copy of the tiny model with ``model.onnx`` and ``model.int8.onnx`` exported once for the module."""
    folder = shutil.copytree(tiny_model_dir, tmp_path_factory.mktemp("onnx") / "model")
    export_onnx(folder, quantize="int8")
    return folder


@pytest.fixture(scope="module")
def torch_clf(exported_dir):
    return Classifier(exported_dir, backend="torch", device="cpu", batch_size=3)


@pytest.fixture(scope="module")
def onnx_clf(exported_dir):
    return Classifier(exported_dir, backend="onnx", batch_size=3)


def test_export_writes_fp32_and_int8_files(tiny_model_dir, tmp_path):
    folder = shutil.copytree(tiny_model_dir, tmp_path / "model")
    written = export_onnx(folder, quantize="int8")
    assert [p.name for p in written] == ["model.onnx", "model.int8.onnx"]
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []  # no temporary files left


def test_onnx_probabilities_match_torch(torch_clf, onnx_clf):
    assert onnx_clf.engine.name == "onnx" and torch_clf.engine.name == "torch"
    np.testing.assert_allclose(onnx_clf.predict_proba(SENTENCES), torch_clf.predict_proba(SENTENCES), atol=1e-4)
    assert [p.label for p in onnx_clf.predict(SENTENCES)] == [p.label for p in torch_clf.predict(SENTENCES)]


def test_onnx_logits_match_torch_on_padded_batch(torch_clf, onnx_clf):
    enc = torch_clf.tokenizer(
        SENTENCES, padding=True, truncation=True, max_length=torch_clf.max_length, return_tensors="np"
    )
    ids, mask = enc["input_ids"].astype(np.int64), enc["attention_mask"].astype(np.int64)
    got = onnx_clf.engine.logits(ids, mask)
    assert got.dtype == np.float32 and got.shape == (len(SENTENCES), len(LABELS))
    np.testing.assert_allclose(got, torch_clf.engine.logits(ids, mask), atol=1e-4)


def test_long_text_is_truncated_the_same_way(torch_clf, onnx_clf):
    long_text = " ".join(SENTENCES * 3)
    with pytest.warns(TruncationWarning):
        expected = torch_clf.predict_proba([long_text, SENTENCES[1]])
    with pytest.warns(TruncationWarning):
        got = onnx_clf.predict_proba([long_text, SENTENCES[1]])
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_int8_model_gives_valid_probabilities(exported_dir):
    clf = Classifier(exported_dir, backend="onnx", onnx_file="model.int8.onnx")
    probs = clf.predict_proba(SENTENCES)
    assert probs.shape == (len(SENTENCES), len(LABELS)) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert all(p.label in LABELS for p in clf.predict(SENTENCES))


def test_auto_backend_picks_onnx_without_safetensors(exported_dir, tmp_path, torch_clf):
    folder = shutil.copytree(exported_dir, tmp_path / "onnx-only")
    (folder / "model.safetensors").unlink()
    clf = Classifier(folder)
    assert clf.engine.name == "onnx"
    np.testing.assert_allclose(clf.predict_proba(SENTENCES), torch_clf.predict_proba(SENTENCES), atol=1e-4)


def test_single_string_and_empty_list_behave_as_torch(onnx_clf):
    p = onnx_clf.predict(SENTENCES[0])
    assert p.label in LABELS and set(p.scores) == set(LABELS)
    assert math.isclose(sum(p.scores.values()), 1.0, abs_tol=1e-5)
    assert onnx_clf.predict([]) == []
    assert onnx_clf.predict_proba([]).shape == (0, len(LABELS))


@pytest.mark.parametrize(
    "bad",
    [None, 3, b"octets", ["ok", None], ["ok", ["imbriqué"]], ["ok", "   "], [""], "", "\n"],
)
def test_bad_inputs_raise_the_same_errors_as_torch(torch_clf, onnx_clf, bad):
    with pytest.raises((TypeError, ValueError)) as torch_error:
        torch_clf.predict(bad)
    with pytest.raises(type(torch_error.value)) as onnx_error:
        onnx_clf.predict(bad)
    assert str(onnx_error.value) == str(torch_error.value)


def test_missing_onnx_file_names_the_file_and_the_fix(tiny_model_dir):
    with pytest.raises(ModelLoadError, match=r"model\.onnx is missing.*claims export --model"):
        Classifier(tiny_model_dir, backend="onnx")
    with pytest.raises(ModelLoadError, match=r"model\.int8\.onnx is missing.*--quantize int8"):
        Classifier(tiny_model_dir, backend="onnx", onnx_file="model.int8.onnx")


def test_corrupt_onnx_file_is_refused_with_its_name(tiny_model_dir, tmp_path):
    folder = shutil.copytree(tiny_model_dir, tmp_path / "corrupt")
    (folder / "model.onnx").write_bytes(b"not a protobuf at all")
    with pytest.raises(ModelLoadError, match=r"model\.onnx is corrupt"):
        Classifier(folder, backend="onnx")


def test_missing_onnxruntime_says_how_to_install(exported_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes ``import onnxruntime`` raise ImportError
    with pytest.raises(ModelLoadError, match=r"needs onnxruntime.*pip install \.\[onnx\]"):
        Classifier(exported_dir, backend="onnx")


def test_cli_export_with_int8(tiny_model_dir, tmp_path):
    folder = shutil.copytree(tiny_model_dir, tmp_path / "cli")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "training.cli", "export", "--model", str(folder), "--quantize", "int8"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (folder / "model.onnx").is_file() and (folder / "model.int8.onnx").is_file()
    assert "model.onnx" in result.stdout and "MB" in result.stdout


def test_cli_export_of_missing_folder_fails_plainly(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "training.cli", "export", "--model", str(tmp_path / "absent")]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 2 and "model directory not found" in result.stderr


def test_failed_export_leaves_no_partial_file(tiny_model_dir, tmp_path, monkeypatch):
    import torch

    folder = shutil.copytree(tiny_model_dir, tmp_path / "failing")

    def export_then_die(model, args, f, *rest, **kwargs):
        with open(f, "wb") as handle:
            handle.write(b"half-written graph")
        raise RuntimeError("killed mid-export")

    monkeypatch.setattr(torch.onnx, "export", export_then_die)
    with pytest.raises(RuntimeError, match="killed mid-export"):
        export_onnx(folder, quantize="int8")
    assert not (folder / "model.onnx").exists() and not (folder / "model.int8.onnx").exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in tiny_model_dir.iterdir())


def test_export_that_does_not_match_torch_is_not_kept(tiny_model_dir, tmp_path, monkeypatch):
    import training.deploy.export as export

    folder = shutil.copytree(tiny_model_dir, tmp_path / "mismatch")
    real = export._run_onnx
    monkeypatch.setattr(export, "_run_onnx", lambda file, batches: [x + 1.0 for x in real(file, batches)])
    with pytest.raises(export.ExportError, match=r"differ from torch by 1\.00e\+00.*expected at most 1e-04"):
        export_onnx(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in tiny_model_dir.iterdir())
