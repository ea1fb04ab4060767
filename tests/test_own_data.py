"""Your own data, end to end: README's "Train on your own data" replayed on a tiny model, then labels, small-data
paths, the output-folder guard and the model card of a run on a user's file."""

from __future__ import annotations

import csv
import json
import shlex
import shutil

import pytest
import yaml
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from inference import Classifier, ModelLoadError, predict
from inference.labels import LABELS
from training.cli import main as claims
from training.config import ModelConfig, load_config
from training.evaluation.small_data import compare_with_baselines
from training.model import build_model
from training.splits import load_run_rows
from training.train import main as train

from .conftest import ROOT, TINY_CONFIG

EXAMPLE = ROOT / "examples" / "own_data" / "phrases.csv"
COLUMNS = ["data.text_column=phrase", "data.label_column=categorie"]
OWN = [
    f"data.train_file={EXAMPLE}",
    "data.validation_file=null",
    "data.test_file=null",
    "data.dev_file=null",
    *COLUMNS,
]
FRENCH = {"accusation": "accusation", "denial": "démenti", "reassurance": "apaisement", "neutral": "neutre"}


def readme_commands(title: str = "## Train on your own data") -> list[list[str]]:
    """The commands of the first bash block of a README section, continuation lines joined, comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(title) :]
    section = section[: section.index("\n## ", len(title))]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    return [argv for line in block.splitlines() if (argv := shlex.split(line, comments=True))]


def test_readme_own_data_section_runs_end_to_end(trained_tiny, tmp_path, monkeypatch, capsys):
    commands = readme_commands()
    assert [argv[:2] for argv in commands] == [
        ["claims", "check-data"],
        ["claims", "train"],
        ["claims", "evaluate"],
        ["claims", "predict"],
    ]
    # The quick start's model is the tiny one trained on the bundled corpus; outputs go under tmp_path.
    base = shutil.copytree(trained_tiny[0], tmp_path / "claims-mini")
    config = tmp_path / "own-data.yaml"
    config.write_text((ROOT / "configs" / "own-data.yaml").read_text().replace("outputs/claims-mini", str(base)))

    def substitute(arg: str) -> str:
        if arg == "outputs/claims-mini":
            return str(base)
        if arg == "configs/own-data.yaml":
            return str(config)
        return str(tmp_path / arg) if arg.startswith("outputs/") else arg

    monkeypatch.chdir(ROOT)
    for argv in commands:
        assert claims([substitute(arg) for arg in argv[1:]]) == 0, argv
    out = capsys.readouterr().out
    assert "phrases.csv: 64 good rows (CSV, delimiter ';' detected)" in out and "ready to train" in out

    model = tmp_path / "outputs" / "mes-phrases"
    saved = yaml.safe_load((model / "run_config.yaml").read_text())
    assert (saved["data"]["text_column"], saved["data"]["label_column"]) == ("phrase", "categorie")
    assert saved["data"]["validation_file"] is None and saved["data"]["split_seed"] == 42
    assert saved["data"]["labels"] == list(LABELS)
    assert saved["model"]["vocab_size"] == len(AutoTokenizer.from_pretrained(model))
    metrics = json.loads((model / "metrics.json").read_text())
    assert metrics["data"]["sizes"] == {"train": 48, "validation": 16}
    card = (model / "README.md").read_text()
    assert "None" not in card and "phrases.csv" in card and "48 sentences" in card
    assert "16 sentences held out of" in card and "test: none" in card
    assert not (model / "calibration.json").exists(), "evaluate without --calibrate leaves the model folder alone"

    report = json.loads((tmp_path / "outputs" / "mes-phrases-report" / "metrics.json").read_text())
    assert report["n"] == 16 and "validation split held out of" in report["data"]

    with (tmp_path / "outputs" / "mes-predictions.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))  # the input's delimiter
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"] and rows[3]["source"] == "agenda"
    assert list(rows[0])[:5] == ["line", "id", "phrase", "source", "label"]
    assert all(r["label"] in LABELS and len(r["score"].split(".")[-1]) <= 4 for r in rows)
    assert {f"score_{label}" for label in LABELS} <= set(rows[0])


@pytest.fixture(scope="module")
def french_model(tmp_path_factory):
    """The example CSV relabelled in French, trained from scratch with the tiny config: a label set of its own."""
    folder = tmp_path_factory.mktemp("french")
    data = folder / "phrases.csv"
    text = EXAMPLE.read_text(encoding="utf-8")
    for english, french in FRENCH.items():
        text = text.replace(f";{english}\n", f";{french}\n")
    data.write_text(text, encoding="utf-8")
    out = folder / "model"
    metrics = train(TINY_CONFIG, [f"data.train_file={data}", *OWN[1:], "training.num_train_epochs=1"], out)
    return out, metrics, data


def test_labels_come_from_the_data_when_they_are_not_claim_labels(french_model):
    out, metrics, _ = french_model
    config = json.loads((out / "config.json").read_text())
    assert sorted(config["id2label"].values()) == sorted(FRENCH.values())
    assert set(metrics["validation"]["per_class"]) == set(FRENCH.values())
    assert load_config(out / "run_config.yaml").data.labels == sorted(FRENCH.values())
    # The tokenizer learnt on 48 sentences holds far fewer than the 1000 pieces asked for: the real size is recorded.
    vocab = load_config(out / "run_config.yaml").model.vocab_size
    assert vocab == len(AutoTokenizer.from_pretrained(out)) < 1000
    card = (out / "README.md").read_text()
    assert "None" not in card and "`démenti`" in card and "accept_any_labels=True" in card


def test_a_custom_label_model_predicts_with_accept_any_labels(french_model, tmp_path, capsys):
    out, _, data = french_model
    with pytest.raises(ModelLoadError, match="--accept-any-labels"):
        Classifier(out)
    assert predict("Le maire dément.", model=out, accept_any_labels=True).label in FRENCH.values()
    assert claims(["predict", str(data), "--model", str(out)]) == 2
    assert "--accept-any-labels" in capsys.readouterr().err
    target = tmp_path / "p.jsonl"
    assert claims(["predict", str(data), "--model", str(out), "--accept-any-labels", "-o", str(target)]) == 0
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    # The text column defaults to the model's own (phrase); the gold column comes along.
    assert len(rows) == 64 and rows[0]["categorie"] == "accusation" and rows[0]["label"] in FRENCH.values()
    report = tmp_path / "report"
    assert claims(["evaluate", "--model", str(out), "--split", "validation", "--out", str(report)]) == 0
    saved = json.loads((report / "metrics.json").read_text())
    assert saved["labels"] == sorted(FRENCH.values()) and "keyword rules" not in saved["baselines"]


def test_a_subset_of_claim_labels_gives_a_smaller_head_and_class_weights_work(tmp_path):
    data = tmp_path / "three.csv"
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    data.write_text("".join(line for line in lines if not line.endswith(";reassurance\n")), encoding="utf-8")
    overrides = [f"data.train_file={data}", *OWN[1:], "training.class_weighted_loss=true", "training.max_steps=3"]
    metrics = train(TINY_CONFIG, overrides, tmp_path / "model")
    labels = ["accusation", "denial", "neutral"]
    assert json.loads((tmp_path / "model" / "config.json").read_text())["id2label"] == dict(
        zip(["0", "1", "2"], labels)
    )
    assert list(metrics["validation"]["per_class"]) == labels
    f1 = [metrics["validation"]["per_class"][label]["f1"] for label in labels]
    occurring = [f for f, label in zip(f1, labels) if metrics["validation"]["per_class"][label]["support"]]
    assert metrics["validation"]["macro_f1"] == pytest.approx(sum(occurring) / len(occurring))


def test_a_trained_claims_folder_keeps_its_head_when_the_labels_match(trained_tiny):
    source = AutoModelForSequenceClassification.from_pretrained(trained_tiny[0])
    weight = source.classifier.out_proj.weight
    model, tokenizer = build_model(ModelConfig(name_or_path=str(trained_tiny[0]), max_length=64))
    assert model.classifier.out_proj.weight.equal(weight)
    assert tokenizer.get_vocab() == AutoTokenizer.from_pretrained(trained_tiny[0]).get_vocab()
    narrowed, _ = build_model(
        ModelConfig(name_or_path=str(trained_tiny[0]), max_length=64), labels=("neutral", "denial")
    )
    assert narrowed.classifier.out_proj.weight.equal(weight[[3, 1]])
    assert narrowed.config.id2label == {0: "neutral", 1: "denial"}


def test_mix_bundled_adds_the_bundled_training_split():
    config = load_config(TINY_CONFIG, [*OWN, "data.max_train_samples=null", "data.mix_bundled=true"])
    run = load_run_rows(config.data, seed=1)
    bundled = sum(1 for _ in (ROOT / "data" / "claims" / "train.jsonl").open())
    assert len(run.splits["train"]) == 52 + bundled and len(run.splits["validation"]) == 12  # 3 of 16 per label
    assert all(row["text"] in EXAMPLE.read_text() for row in run.splits["validation"])


def test_a_model_below_the_baselines_gets_a_warning_naming_better_options():
    config = load_config(TINY_CONFIG, OWN)
    run = load_run_rows(config.data, seed=42)
    config.data.labels = list(run.labels)
    result = compare_with_baselines(run, 0.0, config)
    assert set(result["validation_macro_f1"]) == {"model", "keyword rules", "TF-IDF + logistic regression"}
    warning = result["warning"]
    assert warning.startswith("validation macro-F1 0.000 is below the")
    assert "model.name_or_path=outputs/claims-mini" in warning and "data.mix_bundled=true" in warning
    assert compare_with_baselines(run, 1.0, config)["warning"] is None


def test_training_refuses_a_non_empty_output_folder(french_model, tmp_path, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    argv = ["train", "--config", str(TINY_CONFIG), "--output-dir", str(out), "--train-file", str(EXAMPLE),
            "--text-column", "phrase", "--label-column", "categorie", "--set", "training.max_steps=2"]  # fmt: skip
    assert claims(argv) == 2
    err = capsys.readouterr().err
    assert f"output folder {out} is not empty (notes.txt)" in err and "--overwrite" in err and "--resume" in err
    assert not (out / "model.safetensors").exists()
    assert claims([*argv, "--overwrite"]) == 0
    assert (out / "model.safetensors").is_file() and (out / "notes.txt").is_file()
    # --resume says what it resumed from.
    assert claims([*argv[:-1], "training.max_steps=4", "--resume"]) == 0
    checkpoints = sorted(out.with_name("busy.checkpoints").glob("checkpoint-*"))
    assert "resumed from " in capsys.readouterr().out
    assert json.loads((out / "metrics.json").read_text())["training"]["resumed_from"] in map(str, checkpoints)
