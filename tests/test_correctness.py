"""Defects found in a read-through, one test each (the item number is in each test's docstring)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import warnings

import pytest
import tomllib
import torch
import yaml
from transformers import AutoModelForSequenceClassification

from inference import Classifier, TruncationWarning, get_classifier, predict_document
from inference.labels import LABELS
from training.checkpoints import is_complete_checkpoint, last_complete_checkpoint
from training.cli import main as claims
from training.config import ModelConfig, load_config
from training.deploy.batch import _claim_merge, build_manifest, check_manifest, shard_path
from training.model import ModelUnavailableError, build_model, resolve_source
from training.trainer import resolve_precision

from .conftest import ROOT, TINY_CONFIG, corpus_texts

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
LONG_SENTENCE = (
    "Le porte-parole du ministère des Affaires étrangères, interrogé lors d'un point presse à l'issue d'une "
    "réunion extraordinaire du Conseil de sécurité, a fermement rejeté les allégations selon lesquelles des "
    "unités placées sous son autorité auraient pris part aux opérations menées la semaine dernière dans la "
    "région frontalière, qualifiant ces informations de « propagande grossière » destinée à détourner "
    "l'attention des véritables responsables de l'escalade."
)


# ---- 1. precision ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cuda", "capability", "use_cpu", "expected"),
    [
        (True, (9, 0), False, "bf16"),  # H100/H200
        (True, (8, 0), False, "bf16"),  # A100
        (True, (7, 5), False, "fp16"),  # T4: bf16 only emulated
        (True, (7, 0), False, "fp16"),  # V100
        (True, (9, 0), True, "no"),  # use_cpu on a GPU machine
        (False, None, False, "no"),
    ],
)
def test_auto_precision_follows_compute_capability_and_use_cpu(monkeypatch, cuda, capability, use_cpu, expected):
    """Item 1."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # what T4/V100 also answer
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a: capability)
    assert resolve_precision("auto", use_cpu) == expected
    assert resolve_precision("fp16", use_cpu) == "fp16"  # an explicit choice is kept


def test_run_config_records_the_precision_actually_used(trained_tiny):
    """Item 1."""
    out, _ = trained_tiny
    saved = yaml.safe_load((out / "run_config.yaml").read_text())
    assert saved["training"]["mixed_precision"] == "no"


# ---- 2. an existing four-way head --------------------------------------------------------------------------------
def _relabelled_copy(source, target, order):
    """``source`` saved with its labels in ``order`` (and the head rows moved with them): the same model."""
    model = AutoModelForSequenceClassification.from_pretrained(source)
    with torch.no_grad():
        model.classifier.out_proj.weight.copy_(model.classifier.out_proj.weight[order].clone())
        model.classifier.out_proj.bias.copy_(model.classifier.out_proj.bias[order].clone())
    model.config.id2label = {i: LABELS[k] for i, k in enumerate(order)}
    model.config.label2id = {v: k for k, v in model.config.id2label.items()}
    model.save_pretrained(target)
    shutil.copy(source / "tokenizer.json", target / "tokenizer.json")
    shutil.copy(source / "tokenizer_config.json", target / "tokenizer_config.json")
    return target


def _logits(model, tokenizer, text="Le ministre dément ces accusations."):
    model.eval()
    with torch.no_grad():
        return model(**tokenizer(text, return_tensors="pt")).logits[0]


def test_claims_head_saved_in_another_label_order_is_reordered(tiny_model_dir, tmp_path):
    """Item 2."""
    shuffled = _relabelled_copy(tiny_model_dir, tmp_path / "shuffled", order=[3, 1, 0, 2])
    original, tokenizer = build_model(ModelConfig(name_or_path=str(tiny_model_dir), max_length=48))
    loaded, _ = build_model(ModelConfig(name_or_path=str(shuffled), max_length=48))
    assert loaded.config.id2label == dict(enumerate(LABELS))
    torch.testing.assert_close(_logits(loaded, tokenizer), _logits(original, tokenizer))


def test_head_with_other_labels_is_reinitialised_and_logged(tiny_model_dir, tmp_path, caplog):
    """Item 2."""
    source = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
    source.config.id2label = {i: f"LABEL_{i}" for i in range(4)}
    source.config.label2id = {v: k for k, v in source.config.id2label.items()}
    source.save_pretrained(tmp_path / "generic")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_model_dir / name, tmp_path / "generic" / name)
    with caplog.at_level(logging.WARNING, logger="training.model"):
        model, _ = build_model(ModelConfig(name_or_path=str(tmp_path / "generic"), max_length=48))
    assert "initialised afresh" in caplog.text and "classifier.out_proj.weight" in caplog.text
    assert not torch.equal(model.classifier.out_proj.weight, source.classifier.out_proj.weight)
    assert model.config.id2label == dict(enumerate(LABELS))


# ---- 3. pickled weights ------------------------------------------------------------------------------------------
def test_pickle_only_folder_says_what_to_do_and_convert_fixes_it(tiny_model_dir, tmp_path):
    """Item 3."""
    folder = shutil.copytree(tiny_model_dir, tmp_path / "pickled")
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    with pytest.raises(ModelUnavailableError, match="claims convert --model"):
        resolve_source(str(folder))
    assert claims(["convert", "--model", str(folder)]) == 0
    converted = AutoModelForSequenceClassification.from_pretrained(folder, use_safetensors=True)
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(converted.state_dict()[name], tensor)
    assert claims(["convert", "--model", str(folder)]) == 2  # refuses to overwrite


# ---- 4. checkpoints beside the model -----------------------------------------------------------------------------
def test_published_folder_holds_no_checkpoints(trained_tiny):
    """Item 4."""
    out, _ = trained_tiny
    assert not (out / "checkpoints").exists()
    beside = out.with_name(f"{out.name}.checkpoints")
    assert last_complete_checkpoint(beside, remove_incomplete=False) is not None


# ---- 5. warmup ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1", "5", "-0.1"])
def test_warmup_ratio_out_of_range_is_refused(value):
    """Item 5."""
    with pytest.raises(ValueError, match=r"warmup_ratio .* must be in \[0, 1\)"):
        load_config(TINY_CONFIG, [f"training.warmup_ratio={value}"])


# ---- 6. several processes ----------------------------------------------------------------------------------------
def test_checkpoint_missing_one_ranks_rng_state_is_incomplete(trained_tiny, tmp_path):
    """Item 6."""
    out, _ = trained_tiny
    complete = last_complete_checkpoint(out.with_name(f"{out.name}.checkpoints"), remove_incomplete=False)
    copy = shutil.copytree(complete, tmp_path / "checkpoint-9")
    (copy / "rng_state.pth").rename(copy / "rng_state_0.pth")
    assert not is_complete_checkpoint(copy, num_processes=2)  # rng_state_1.pth missing
    shutil.copy(copy / "rng_state_0.pth", copy / "rng_state_1.pth")
    assert is_complete_checkpoint(copy, num_processes=2)


def test_non_main_process_never_deletes_checkpoints(tmp_path):
    """Item 6."""
    (tmp_path / "checkpoint-5").mkdir()  # incomplete: no files
    assert last_complete_checkpoint(tmp_path, remove_incomplete=False) is None
    assert (tmp_path / "checkpoint-5").exists()


# ---- 7. max_length above the position table ----------------------------------------------------------------------
def test_max_length_is_capped_to_the_position_table(tiny_model_dir):
    """Item 7."""
    with pytest.warns(UserWarning, match="exceeds the 48 positions"):
        clf = Classifier(tiny_model_dir, max_length=128, device="cpu")
    assert clf.max_length == 48
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncationWarning)
        assert clf.predict(LONG_SENTENCE * 3).label in LABELS  # an IndexError before the fix


# ---- 8. resume identifies the model by content -------------------------------------------------------------------
def _batch_args(**kw):
    base = dict(document=False, text_column="text", shard_size=100, backend="auto", onnx_file=None, max_length=None)
    return argparse.Namespace(**{**base, **kw})


def test_resume_refuses_a_recalibrated_or_retrained_model(tiny_model_dir, tmp_path):
    """Item 8."""
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    data = tmp_path / "in.txt"
    data.write_text("Une phrase.\n", encoding="utf-8")
    manifest = build_manifest(data, "text", _batch_args(), model)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (model / "calibration.json").write_text('{"temperature": 2.0}')
    with pytest.raises(ValueError, match=r"model_files\['calibration.json'\]"):
        check_manifest(tmp_path / "manifest.json", build_manifest(data, "text", _batch_args(), model))
    for changed, field in ((dict(backend="onnx"), "backend"), (dict(max_length=32), "max_length")):
        (model / "calibration.json").unlink(missing_ok=True)
        with pytest.raises(ValueError, match=f"cannot resume: {field} differs"):
            check_manifest(tmp_path / "manifest.json", build_manifest(data, "text", _batch_args(**changed), model))


# ---- 9. no final barrier -----------------------------------------------------------------------------------------
def test_the_last_process_to_finish_merges_once(tmp_path):
    """Item 9."""
    shards = tmp_path / "shards"
    shards.mkdir()
    shard_path(shards, 0).write_text("{}\n")
    assert not _claim_merge(shards, 2, tmp_path)  # shard 1 still being written elsewhere
    shard_path(shards, 1).write_text("{}\n")
    assert _claim_merge(shards, 2, tmp_path)
    assert not _claim_merge(shards, 2, tmp_path)  # a second finisher does not merge again


def test_batch_run_waits_on_no_barrier_after_classifying(tiny_model_dir, tmp_path, monkeypatch):
    """Item 9."""
    from accelerate import PartialState

    calls = []
    monkeypatch.setattr(PartialState, "wait_for_everyone", lambda self: calls.append(1))
    data = tmp_path / "in.txt"
    data.write_text("\n".join(corpus_texts("test", 30)) + "\n", encoding="utf-8")
    argv = ["predict", str(data), "--model", str(tiny_model_dir), "--output-dir", str(tmp_path / "out")]
    assert claims([*argv, "--shard-size", "10"]) == 0
    assert len(calls) == 1  # the one after the manifest is written, none at the end
    assert len((tmp_path / "out" / "predictions.jsonl").read_text().splitlines()) == 30


# ---- 10. the model cache follows calibration.json ----------------------------------------------------------------
def test_recalibrating_reloads_the_cached_model(tiny_model_dir, tmp_path):
    """Item 10."""
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    first = get_classifier(model)
    assert get_classifier(model) is first
    (model / "calibration.json").write_text('{"temperature": 3.0}')
    second = get_classifier(model)
    assert second is not first and second.info.temperature == 3.0


# ---- 11. real sentences are not cut; the warning names what was cut ----------------------------------------------
def test_document_truncation_warning_names_the_sentence_and_the_cut(tiny_model_dir):
    """Item 11."""
    with pytest.warns(TruncationWarning) as caught:
        predict_document(f"Le maire a démenti. {LONG_SENTENCE} Une enquête est ouverte.", model=tiny_model_dir)
    message = str(caught[0].message)
    assert "1 of 3 sentence(s)" in message and "sentence[1]" in message and "cut" in message
    assert "predict_document" not in message


def test_mini_config_fits_a_long_wire_sentence():
    """Item 11: the mini model's max_length holds a long real-style sentence with the corpus tokenizer."""
    from transformers import AutoTokenizer

    from training.tokenizer import train_tokenizer

    config = load_config(ROOT / "configs" / "camembert-mini.yaml")
    pretrained = AutoTokenizer.from_pretrained(ROOT / config.model.name_or_path)
    assert len(pretrained(LONG_SENTENCE)["input_ids"]) <= config.model.max_length
    # A from-scratch mini model (the ablation's other arms) learns its tokenizer on the training split.
    tokenizer = train_tokenizer(corpus_texts("train", 5000), config.model.vocab_size, config.model.max_length)
    assert len(tokenizer(LONG_SENTENCE)["input_ids"]) <= config.model.max_length


# ---- 12. evaluate never silently uses other data -----------------------------------------------------------------
def test_evaluate_refuses_training_files_that_do_not_resolve(trained_tiny, tmp_path):
    """Item 12."""
    out, _ = trained_tiny
    model = shutil.copytree(out, tmp_path / "model")
    config = yaml.safe_load((model / "run_config.yaml").read_text())
    config["data"]["validation_file"] = "elsewhere/val.jsonl"
    (model / "run_config.yaml").write_text(yaml.safe_dump(config))
    from training.evaluation.report import evaluate_model

    with pytest.raises(FileNotFoundError, match="data.validation_file is 'elsewhere/val.jsonl'"):
        evaluate_model(model, tmp_path / "report", n_bootstrap=10)


def test_evaluate_data_and_split_together_are_refused(trained_tiny, tmp_path):
    """Item 12."""
    out, _ = trained_tiny
    test_file = str(ROOT / "data/claims/test.jsonl")
    argv = ["evaluate", "--model", str(out), "--out", str(tmp_path / "r"), "--data", test_file, "--split", "test"]
    assert claims(argv) == 2


def test_no_calibrate_reports_the_temperature_inference_applies(trained_tiny, tmp_path):
    """Item 12."""
    from training.evaluation.report import evaluate_model

    out, _ = trained_tiny
    model = shutil.copytree(out, tmp_path / "model")
    (model / "calibration.json").write_text('{"temperature": 2.5, "fitted_on": "earlier"}')
    result = evaluate_model(model, tmp_path / "report", calibrate=False, n_bootstrap=10)
    assert result["calibration"]["temperature"] == 2.5
    assert result["calibration"]["fitted_on"] == "earlier"


# ---- 13. CLI -----------------------------------------------------------------------------------------------------
def test_train_without_the_train_extras_says_what_to_install(tmp_path):
    """Item 13."""
    code = (
        "import sys; sys.modules['datasets'] = None; from training.cli import main; "
        f"sys.exit(main(['train', '--config', {str(TINY_CONFIG)!r}, '--output-dir', {str(tmp_path)!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert 'pip install "claims-fr[train]"' in result.stderr and "Traceback" not in result.stderr


def test_a_type_error_is_a_bug_and_shows_its_traceback(monkeypatch):
    """Item 13."""
    import training.cli

    def broken(args):
        raise TypeError("a real bug")

    monkeypatch.setattr(training.cli, "run_train", broken)
    with pytest.raises(TypeError, match="a real bug"):
        claims(["train", "--config", str(TINY_CONFIG)])


def test_debug_shows_the_traceback_of_a_clean_error(tmp_path):
    """Item 13."""
    with pytest.raises(ValueError):
        claims(["--debug", "predict", "--model", str(tmp_path), "--resume", "x.txt"])


@pytest.mark.parametrize("flag", [["--resume"], ["--shard-size", "5"], ["--processes", "2"]])
def test_batch_flags_without_output_dir_are_refused(tiny_model_dir, tmp_path, capsys, flag):
    """Item 13."""
    data = tmp_path / "in.txt"
    data.write_text("Une phrase.\n", encoding="utf-8")
    assert claims(["predict", str(data), "--model", str(tiny_model_dir), *flag]) == 2
    assert f"{flag[0]} applies to batch mode only: add --output-dir" in capsys.readouterr().err


def test_predict_runs_a_chosen_onnx_file(tiny_model_dir, tmp_path, capsys):
    """Item 13."""
    from training.deploy.export import export_onnx

    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    export_onnx(model, quantize="int8")
    data = tmp_path / "in.txt"
    data.write_text("Le ministre dément.\nAucun risque pour la population.\n", encoding="utf-8")
    argv = ["predict", str(data), "--model", str(model), "--onnx-file", "model.int8.onnx"]
    assert claims(argv) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    expected = Classifier(model, onnx_file="model.int8.onnx").predict([r["text"] for r in rows])
    assert [r["label"] for r in rows] == [p.label for p in expected]
    assert claims([*argv[:-1], "missing.onnx"]) == 2


def test_predict_input_with_invalid_utf8_names_file_and_line(tiny_model_dir, tmp_path, capsys):
    """Item 13."""
    data = tmp_path / "in.txt"
    data.write_bytes(b"Une phrase.\nDeux phrases.\n" + b"caf\xe9 latin-1\n")
    assert claims(["predict", str(data), "--model", str(tiny_model_dir)]) == 2
    assert f"{data}:3: not valid UTF-8" in capsys.readouterr().err


def test_scipy_is_declared_in_the_train_extra():
    """Item 13."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(req.startswith("scipy") for req in extras["train"])
