"""Batch mode of ``claims predict --output-dir``: shards, formats, 2 processes, resume, documents, bad rows."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inference import Classifier
from inference.labels import LABELS
from training.cli import build_parser, main
from training.deploy.batch import run_batch
from training.deploy.launch import accelerate_launch, launch_command

from .conftest import ROOT

N_SENTENCES = 300
SHARD = 50
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
ENV.pop("CLAIMS_MODEL", None)
ARTICLES = {
    "a-usine.txt": "Le syndicat accuse la direction d'avoir caché l'accident. « C'est faux », répond M. Durand."
    "\n\nLa préfecture assure qu'il n'y a aucun risque pour les riverains.\n",
    "b-hopital.txt": "Fermeture de la maternité\nLes élus dénoncent une décision prise « dans le dos des "
    "patients ».\nL'agence régionale de santé dément toute fermeture définitive. Une réunion est prévue lundi.",
    "c-club.txt": "Le club a annoncé mardi le départ de son entraîneur. Le président se dit « serein » pour la suite.",
}


def _predict(args: list[str]) -> int:
    return main(["predict", *args])


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    with (ROOT / "data" / "claims" / "test.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for _, line in zip(range(N_SENTENCES), handle)]


@pytest.fixture(scope="module")
def jsonl_input(tmp_path_factory, sentences) -> Path:
    path = tmp_path_factory.mktemp("input") / "news.jsonl"
    path.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in sentences), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def single_run(tmp_path_factory, tiny_model_dir, jsonl_input) -> Path:
    """One single-process run of the JSONL input: the reference output folder (do not modify)."""
    out = tmp_path_factory.mktemp("single") / "out"
    assert (
        _predict(
            [str(jsonl_input), "--model", str(tiny_model_dir), "--output-dir", str(out), "--shard-size", str(SHARD)]
        )
        == 0
    )
    return out


def test_single_process_matches_classifier_predict(single_run, tiny_model_dir, sentences):
    rows = _rows(single_run / "predictions.jsonl")
    expected = Classifier(tiny_model_dir).predict(sentences)
    assert [r["row"] for r in rows] == list(range(N_SENTENCES))
    assert [r["line"] for r in rows] == list(range(1, N_SENTENCES + 1))
    assert [r["text"] for r in rows] == sentences
    assert [r["label"] for r in rows] == [p.label for p in expected]
    assert all(abs(r["score"] - p.score) < 1e-5 for r, p in zip(rows, expected))
    assert sorted(p.name for p in (single_run / "shards").iterdir()) == [f"part-{k:05d}.jsonl" for k in range(6)]
    manifest = json.loads((single_run / "manifest.json").read_text())
    assert manifest["shard_size"] == SHARD and manifest["mode"] == "sentences" and manifest["format"] == "jsonl"


def test_parquet_and_csv_inputs_give_the_same_predictions(tmp_path, single_run, tiny_model_dir, sentences):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"id": list(range(N_SENTENCES)), "body": sentences}), tmp_path / "news.parquet", row_group_size=64
    )
    with (tmp_path / "news.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "body"])
        writer.writerows(enumerate(sentences))
    reference = _rows(single_run / "predictions.jsonl")
    for name in ("news.parquet", "news.csv"):
        out = tmp_path / f"out-{name}"
        assert (
            _predict(
                [
                    str(tmp_path / name),
                    "--model",
                    str(tiny_model_dir),
                    "--output-dir",
                    str(out),
                    "--shard-size",
                    str(SHARD),
                    "--text-column",
                    "body",
                ]
            )
            == 0
        )
        rows = _rows(out / "predictions.jsonl")
        assert [(r["row"], r["text"], r["label"]) for r in rows] == [
            (r["row"], r["text"], r["label"]) for r in reference
        ]
        assert all(abs(a["score"] - b["score"]) < 1e-5 for a, b in zip(rows, reference))
    assert _rows(tmp_path / "out-news.parquet" / "predictions.jsonl")[7]["line"] == 7  # Parquet: row index
    assert _rows(tmp_path / "out-news.csv" / "predictions.jsonl")[7]["line"] == 9  # CSV: line after the header


def test_two_processes_match_single_process(tmp_path, single_run, tiny_model_dir, jsonl_input):
    launch = [
        *accelerate_launch(2),
        "-m",
        "training.cli",
        "predict",
        str(jsonl_input),
        "--model",
        str(tiny_model_dir),
        "--output-dir",
        str(tmp_path / "ddp"),
        "--shard-size",
        str(SHARD),
    ]
    result = subprocess.run(launch, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.count("sentences: 100%") >= 1  # rank 0 shows progress for its own 3 shards
    rows, reference = _rows(tmp_path / "ddp" / "predictions.jsonl"), _rows(single_run / "predictions.jsonl")
    assert [(r["row"], r["line"], r["text"], r["label"]) for r in rows] == [
        (r["row"], r["line"], r["text"], r["label"]) for r in reference
    ]
    for a, b in zip(rows, reference):
        assert all(abs(a["scores"][label] - b["scores"][label]) < 1e-5 for label in LABELS)


def test_launch_command_runs_the_same_predict_without_processes():
    args = build_parser().parse_args(["predict", "in.parquet", "--output-dir", "out", "--processes", "4", "--resume"])
    command = launch_command(args)
    assert command[1:8] == [
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        "4",
        "--num_machines",
        "1",
    ]
    tail = command[command.index("training.cli") + 1 :]
    assert tail[:2] == ["predict", "in.parquet"] and "--processes" not in tail
    assert "--resume" in tail and tail[tail.index("--output-dir") + 1] == "out"


def test_resume_rewrites_only_missing_shards(tmp_path, single_run, tiny_model_dir, jsonl_input):
    out = tmp_path / "out"
    shutil.copytree(single_run, out)
    (out / "shards" / "part-00002.jsonl").unlink()  # lost shard
    (out / "shards" / "part-00004.jsonl").rename(out / "shards" / ".part-00004.jsonl.tmp-99999")  # killed mid-write
    (out / "predictions.jsonl").unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "shards").glob("part-*.jsonl")}
    assert (
        _predict(
            [
                str(jsonl_input),
                "--model",
                str(tiny_model_dir),
                "--output-dir",
                str(out),
                "--shard-size",
                str(SHARD),
                "--resume",
            ]
        )
        == 0
    )
    assert (out / "predictions.jsonl").read_bytes() == (single_run / "predictions.jsonl").read_bytes()
    assert {p.name: p.stat().st_mtime_ns for p in (out / "shards").glob("part-*.jsonl") if p.name in kept} == kept
    assert sorted(p.name for p in (out / "shards").iterdir()) == [f"part-{k:05d}.jsonl" for k in range(6)]


def test_resume_with_another_shard_size_names_the_field(tmp_path, single_run, tiny_model_dir, jsonl_input):
    out = tmp_path / "out"
    shutil.copytree(single_run, out)
    args = build_parser().parse_args(
        [
            "predict",
            str(jsonl_input),
            "--model",
            str(tiny_model_dir),
            "--output-dir",
            str(out),
            "--shard-size",
            "60",
            "--resume",
        ]
    )
    with pytest.raises(ValueError, match="cannot resume: shard_size differs .*50 there, 60 now"):
        run_batch(args)


def test_document_mode_on_a_folder_of_articles(tmp_path, tiny_model_dir):
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "notes.md").write_text("not an article", encoding="utf-8")
    out = tmp_path / "out"
    assert (
        _predict(
            [str(folder), "--document", "--model", str(tiny_model_dir), "--output-dir", str(out), "--shard-size", "2"]
        )
        == 0
    )
    rows = _rows(out / "predictions.jsonl")
    assert [r["article"] for r in rows] == sorted(r["article"] for r in rows)
    assert {r["article"] for r in rows} == set(ARTICLES)
    for r in rows:
        assert ARTICLES[r["article"]][r["start"] : r["end"]] == r["text"]
        assert r["label"] in LABELS and set(r["scores"]) == set(LABELS)
    assert [r["sentence"] for r in rows if r["article"] == "b-hopital.txt"] == [0, 1, 2, 3]
    summaries = _rows(out / "articles.jsonl")
    assert [s["article"] for s in summaries] == sorted(ARTICLES)
    for s in summaries:
        mine = [r for r in rows if r["article"] == s["article"]]
        assert s["sentences"] == len(mine) == sum(s["counts"].values())
        assert abs(sum(s["shares"].values()) - 1) < 1e-9
        for label, top in s["top"].items():
            scores = [r["score"] for r in mine if r["label"] == label]
            assert (top is None) == (not scores)
            assert top is None or (top["score"] == max(scores) and mine[top["sentence"]]["label"] == label)


def test_missing_text_column_names_file_and_line(tmp_path, tiny_model_dir):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Le maire accuse l\'usine."}\n\n{"titre": "Sans texte"}\n', encoding="utf-8")
    args = build_parser().parse_args(
        ["predict", str(bad), "--model", str(tiny_model_dir), "--output-dir", str(tmp_path / "out")]
    )
    with pytest.raises(ValueError, match=r"bad\.jsonl:3: missing column 'text'"):
        run_batch(args)
    assert not (tmp_path / "out").exists()  # rows are checked before anything is written


def test_blank_parquet_text_names_file_and_row(tmp_path, tiny_model_dir):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": ["La direction dément.", "  ", None]}), tmp_path / "bad.parquet")
    args = build_parser().parse_args(
        [
            "predict",
            str(tmp_path / "bad.parquet"),
            "--model",
            str(tiny_model_dir),
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    with pytest.raises(ValueError, match=r"bad\.parquet: row 1: 'text' must be a non-empty string"):
        run_batch(args)
    args.text_column = "body"
    with pytest.raises(ValueError, match=r"bad\.parquet: missing column 'body'"):
        run_batch(args)


def test_processes_without_output_dir_is_refused(tmp_path, tiny_model_dir, capsys):
    assert _predict([str(tmp_path / "x.txt"), "--model", str(tiny_model_dir), "--processes", "2"]) == 2
    assert "--processes applies to batch mode only: add --output-dir" in capsys.readouterr().err


def test_run_killed_midway_resumes_to_the_same_output(tmp_path, tiny_model_dir, sentences):
    """SIGKILL after the first complete shard, then --resume: identical merged output to an uninterrupted run."""
    import signal
    import time

    big = tmp_path / "big.jsonl"
    rows = [json.dumps({"text": f"{t} (dépêche {i})"}, ensure_ascii=False) for i, t in enumerate(sentences * 40)]
    big.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = [str(big), "--model", str(tiny_model_dir), "--shard-size", "400"]
    cmd = [sys.executable, "-m", "training.cli", "predict", *args, "--output-dir", str(tmp_path / "killed")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shards = tmp_path / "killed" / "shards"
    deadline = time.time() + 120
    while time.time() < deadline and not list(shards.glob("part-*.jsonl")):
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "killed" / "predictions.jsonl").exists()
    done = sorted(p.name for p in shards.glob("part-*.jsonl"))
    assert 0 < len(done) < 30, done
    assert _predict([*args, "--output-dir", str(tmp_path / "killed"), "--resume"]) == 0
    assert _predict([*args, "--output-dir", str(tmp_path / "clean")]) == 0
    killed = (tmp_path / "killed" / "predictions.jsonl").read_bytes()
    assert killed == (tmp_path / "clean" / "predictions.jsonl").read_bytes()
    assert len(killed.splitlines()) == len(rows)
