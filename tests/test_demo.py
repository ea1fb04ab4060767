"""The demo page: what it computes (no server), then ``claims demo`` served on a free local port and driven
through Gradio's API and a real headless Chromium."""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from demo.analysis import (
    MAX_CHARACTERS,
    UNCERTAIN,
    DemoInputError,
    analyse_text,
    classify_file,
    count_shown,
    table_rows,
    write_table,
)
from demo.example import EXAMPLE_ARTICLE
from demo.render import bar_chart, highlight
from demo.summary import describe_model
from inference import LABELS, Classifier, predict_document, split_sentences

from .conftest import save_tiny_model

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = (
    "Le syndicat Sud-Rail reproche à la direction d'avoir ignoré trois alertes sur l'état des freins.\n"
    "« Ces accusations ne reposent sur rien », a rétorqué le directeur régional, Paul Garnier.\n"
    "La préfecture assure que les voyageurs n'ont couru aucun danger. Une enquête interne a été ouverte mardi."
)
BROWSER, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def _require(module: str, install: str):
    """Import ``module`` or fail (not skip): the demo's tests must run wherever the suite runs."""
    try:
        return __import__(module, fromlist=["_"])
    except ModuleNotFoundError:
        pytest.fail(f"{module} is not installed; the demo tests need it: {install}", pytrace=False)


def save_varied_model(path: Path, texts: list[str]) -> Path:
    """A tiny random model whose head standardises the ``<s>`` vector (mean and spread over ``texts``) and
    sharpens it: sentences then get different labels and scores, where a fresh random head (or the tiny config
    trained for seconds) gives every sentence the same label, which no test of labels could tell apart."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    save_tiny_model(path, texts, seed=0)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    tokenizer = AutoTokenizer.from_pretrained(path)
    with torch.no_grad():
        encoded = tokenizer(texts[:200], truncation=True, max_length=48, padding=True, return_tensors="pt")
        first = model.roberta(**encoded)[0][:, 0]
        mean, spread = first.mean(0), first.std(0)
        model.classifier.dense.weight.copy_(torch.diag(1 / spread))
        model.classifier.dense.bias.copy_(-mean / spread)
        model.classifier.out_proj.weight.mul_(100)
    model.save_pretrained(path)
    metrics = {split: {"macro_f1": f1, "accuracy": f1 + 0.01} for split, f1 in
               (("validation", 0.512), ("test", 0.4321), ("dev", 0.3456))}  # fmt: skip
    (path / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, train_texts) -> Path:
    """A tiny model with varied labels and a metrics.json; ``CLAIMS_DEMO_TEST_MODEL=DIR`` runs the same tests
    on a trained folder instead (README's screenshot comes from the quick start's model)."""
    if os.environ.get("CLAIMS_DEMO_TEST_MODEL"):
        return Path(os.environ["CLAIMS_DEMO_TEST_MODEL"]).resolve()
    return save_varied_model(tmp_path_factory.mktemp("varied-model"), train_texts)


@pytest.fixture(scope="module")
def classifier(model_dir) -> Classifier:
    return Classifier(model_dir)


def test_the_example_article_has_six_sentences_or_more_with_an_accusation_and_a_reassurance():
    sentences = split_sentences(EXAMPLE_ARTICLE)
    assert len(sentences) >= 6
    assert any("accuse" in s.text for s in sentences) and any("assure" in s.text for s in sentences)


def test_analyse_text_gives_predict_document_labels_and_uncertain_below_the_threshold(classifier, model_dir):
    doc = predict_document(EXAMPLE_ARTICLE, model=model_dir)
    scores = sorted(s.prediction.score for s in doc.sentences)
    threshold = scores[len(scores) // 2]  # about half the sentences fall below it
    shown = analyse_text(classifier, EXAMPLE_ARTICLE, threshold)
    assert [s.text for s in shown] == [s.text for s in doc.sentences]
    assert [s.label for s in shown] == [s.prediction.label for s in doc.sentences]
    for s, expected in zip(shown, doc.sentences):
        assert s.score == pytest.approx(expected.prediction.score, abs=1e-5)
        assert s.shown == (UNCERTAIN if expected.prediction.score < threshold else expected.prediction.label)
    assert 0 < sum(s.shown == UNCERTAIN for s in shown) < len(shown)
    counts = count_shown(shown, classifier.labels)
    assert list(counts)[:4] == list(LABELS) and sum(counts.values()) == len(shown)
    assert counts[UNCERTAIN] == sum(s.shown == UNCERTAIN for s in shown)
    assert [s.shown for s in analyse_text(classifier, EXAMPLE_ARTICLE, 0.0)] == [s.label for s in shown]


@pytest.mark.parametrize(
    ("text", "message"),
    [(None, "empty"), ("", "empty"), ("  \n\t ", "empty"), ("a" * (MAX_CHARACTERS + 1), "at most 100,000")],
)
def test_unusable_text_raises_a_readable_message(classifier, text, message):
    with pytest.raises(DemoInputError, match=message):
        analyse_text(classifier, text, 0.5)


def test_highlight_escapes_the_text_and_keeps_it_whole(classifier):
    text = "Le maire <script>alert(1)</script> accuse l'usine & ses « dirigeants ».\n\nLa direction dément."
    shown = analyse_text(classifier, text, 0.0)
    page = highlight(text, shown, classifier.labels)
    assert "<script>" not in page and "&lt;script&gt;" in page
    marks = re.findall(r'<mark class="claim" data-label="([^"]+)"[^>]*>(.*?)<sup', page, re.S)
    assert [(label, html.unescape(body)) for label, body in marks] == [(s.shown, s.text) for s in shown]
    without_tags = html.unescape(re.sub(r"<sup.*?</sup>|<[^>]+>", "", page, flags=re.S))
    assert without_tags == text  # what lies between sentences (the blank line) is kept


def test_bar_chart_has_one_bar_per_act_with_its_count():
    chart = bar_chart({"accusation": 3, "denial": 0, "reassurance": 1, "neutral": 6, UNCERTAIN: 2}, LABELS)
    assert re.findall(r'data-label="(\w+)" data-count="(\d+)"', chart) == [
        ("accusation", "3"), ("denial", "0"), ("reassurance", "1"), ("neutral", "6"), (UNCERTAIN, "2")
    ]  # fmt: skip
    assert "width:100%" in chart and "width:50%" in chart and "12 sentences" in chart


def test_summary_names_the_model_labels_and_its_recorded_scores(classifier, model_dir, tmp_path):
    metrics = json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))
    text = describe_model(classifier)
    assert model_dir.name in text and ", ".join(LABELS) in text
    assert f"test: macro-F1 {metrics['test']['macro_f1']:.3f}" in text
    assert f"real-style dev: macro-F1 {metrics['dev']['macro_f1']:.3f}" in text
    bare = shutil.copytree(model_dir, tmp_path / "bare")
    (bare / "metrics.json").unlink()
    assert "none recorded" in describe_model(Classifier(bare))


def test_a_text_file_is_one_article_with_the_line_of_each_sentence(classifier, model_dir, tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    lined = classify_file(classifier, path, "text", 0.0)
    doc = predict_document(ARTICLE, model=model_dir)
    assert [(line, s.text, s.label) for line, s in lined] == [
        (ARTICLE.count("\n", 0, s.start) + 1, s.text, s.prediction.label) for s in doc.sentences
    ]
    assert [line for line, _ in lined] == [1, 2, 3, 3]


def test_csv_and_jsonl_rows_are_split_and_written_back_as_a_table(classifier, tmp_path):
    sentences = [s.text for s in split_sentences(ARTICLE)]
    csv_file = tmp_path / "phrases.csv"
    csv_file.write_text("id;phrase\n" + "".join(f'{i};"{t}"\n' for i, t in enumerate(sentences)), encoding="utf-8")
    jsonl_file = tmp_path / "articles.jsonl"
    jsonl_file.write_text(json.dumps({"text": ARTICLE}, ensure_ascii=False) + "\n", encoding="utf-8")
    from_csv = classify_file(classifier, csv_file, "phrase", 0.0)
    from_jsonl = classify_file(classifier, jsonl_file, "text", 0.0)
    assert [s.text for _, s in from_csv] == sentences == [s.text for _, s in from_jsonl]
    assert [line for line, _ in from_csv] == [2, 3, 4, 5] and {line for line, _ in from_jsonl} == {1}
    expected = [p.label for p in classifier.predict(sentences)]
    assert [s.label for _, s in from_csv] == expected == [s.label for _, s in from_jsonl]
    header, rows = table_rows(from_csv, classifier.labels)
    assert header == ["line", "sentence", "label", "score", *(f"score_{label}" for label in LABELS)]
    with write_table(header, rows, tmp_path / "out.csv").open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [r["sentence"] for r in written] == sentences and [r["label"] for r in written] == expected
    for r in written:
        assert float(r["score"]) == pytest.approx(max(float(r[f"score_{label}"]) for label in LABELS), abs=1e-4)


@pytest.mark.parametrize(
    ("name", "content", "column", "message"),
    [
        ("photo.png", b"\x89PNG\r\n", "text", r"expected one of \.txt"),
        ("binary.txt", b"abc\x00\x01\x02", "text", "not a text file"),
        ("latin1.txt", "Le préfet dément.".encode("latin-1"), "text", "not UTF-8 text"),
        ("phrases.csv", "id,phrase\n1,Le préfet dément.\n".encode(), "text", r"missing column 'text'.*column box"),
        ("empty.jsonl", b"\n\n", "text", "no rows with text"),
        ("huge.txt", b"Le maire accuse l'usine. " * 250_000, "text", "at most 5,000,000"),
    ],
)
def test_unusable_files_raise_a_readable_message(classifier, tmp_path, name, content, column, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DemoInputError, match=message):
        classify_file(classifier, path, column, 0.5)


def test_without_gradio_claims_demo_names_the_extra_and_inference_still_imports(model_dir):
    code = (
        "import sys; sys.modules['gradio'] = None\n"
        "import inference, demo.analysis, demo.render, demo.summary\n"
        "from training.cli import main\n"
        f"sys.exit(main(['demo', '--model', {str(model_dir)!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert 'gradio is not installed; this command needs the demo extras: pip install "claims-fr[demo]"' in (
        result.stderr
    )


def test_claims_demo_refuses_a_threshold_outside_0_1(model_dir, capsys):
    _require("gradio", 'pip install -e ".[demo]"')
    from training.cli import main

    assert main(["demo", "--model", str(model_dir), "--threshold", "1.5"]) == 2
    assert "--threshold must be between 0 and 1, got 1.5" in capsys.readouterr().err


# --- claims demo, served --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(model_dir, tmp_path_factory):
    """``claims demo --model <tiny> --port <free> --threshold 0`` in a subprocess: ``(url, port)``."""
    _require("gradio", 'pip install -e ".[demo]"')
    port = _free_port()
    log = tmp_path_factory.mktemp("demo-server") / "server.log"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-m", "training.cli", "demo", "--model", str(model_dir), "--port", str(port)]
    with log.open("w") as out:
        process = subprocess.Popen([*command, "--threshold", "0"], cwd=ROOT, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"claims demo did not start on {url}:\n{log.read_text()}", pytrace=False)
            time.sleep(1)
    yield url, port
    process.terminate()
    process.wait(timeout=30)


def _listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a socket listening on ``port`` (Linux ``/proc/net/tcp``)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_the_server_binds_to_localhost_only_by_default(server):
    _, port = server
    assert _listening_addresses(port) == {"127.0.0.1"}


def test_the_api_gives_the_labels_of_predict_document(server, model_dir, tmp_path):
    client_module = _require("gradio_client", 'pip install -e ".[demo]"')
    client = client_module.Client(server[0], verbose=False)
    doc = predict_document(ARTICLE, model=model_dir)
    page, chart, result = client.predict(ARTICLE, 0.0, api_name="/analyse")
    assert [s["text"] for s in result["sentences"]] == [s.text for s in doc.sentences]
    assert [s["label"] for s in result["sentences"]] == [s.prediction.label for s in doc.sentences]
    assert [s["shown"] for s in result["sentences"]] == [s.prediction.label for s in doc.sentences]
    assert re.findall(r'data-label="(\w+)"', page) == [s.prediction.label for s in doc.sentences]
    assert {k: v for k, v in result["counts"].items() if k != UNCERTAIN} == doc.counts
    assert f"{len(doc.sentences)} sentences" in chart
    _, _, strict = client.predict(ARTICLE, 1.0, api_name="/analyse")
    assert {s["shown"] for s in strict["sentences"]} == {UNCERTAIN}
    path = tmp_path / "phrases.csv"
    path.write_text("text\n" + "\n".join(f'"{s.text}"' for s in doc.sentences) + "\n", encoding="utf-8")
    table, download = client.predict(client_module.handle_file(str(path)), "text", 0.0, api_name="/classify_file")
    assert [row[2] for row in table["data"]] == [s.prediction.label for s in doc.sentences]
    with open(download, encoding="utf-8", newline="") as handle:
        assert [r["label"] for r in csv.DictReader(handle)] == [s.prediction.label for s in doc.sentences]


@pytest.mark.parametrize(("text", "message"), [("   ", "The text is empty"), ("x" * 5_000_000, "at most 100,000")])
def test_the_api_answers_bad_text_with_the_message(server, text, message):
    client_module = _require("gradio_client", 'pip install -e ".[demo]"')
    client = client_module.Client(server[0], verbose=False)
    with pytest.raises(client_module.exceptions.AppError, match=message):
        client.predict(text, 0.5, api_name="/analyse")


def _chromium():
    """Headless Debian Chromium through its chromedriver; fails (never skips) when either is missing."""
    webdriver = _require("selenium.webdriver", 'pip install -e ".[dev]"')
    missing = [path for path in (BROWSER, DRIVER) if not Path(path).is_file()]
    if missing:
        pytest.fail(
            f"the browser test needs Debian's Chromium and its driver, not found: {', '.join(missing)}; install them "
            "with `apt-get install -y chromium chromium-driver` (.ci/run does)",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1500", "--lang=fr-FR"):  # fmt: skip
        options.add_argument(argument)
    return webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)


def test_in_a_browser_a_pasted_article_is_highlighted_with_the_labels_of_predict_document(server, model_dir, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    doc = predict_document(ARTICLE, model=model_dir)
    assert len(doc.by_label(doc.sentences[0].prediction.label)) < len(doc.sentences), "labels must differ"
    driver = _chromium()
    try:
        driver.get(server[0])
        wait = WebDriverWait(driver, 60)
        box = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#article textarea"))
        assert box.get_attribute("value").startswith(EXAMPLE_ARTICLE.splitlines()[0])  # prefilled
        assert "macro-F1" in driver.find_element(By.ID, "model-summary").text
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(ARTICLE)
        driver.find_element(By.ID, "analyse").click()
        marks = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#highlighted mark.claim") or False)
        shown = [(m.get_attribute("data-label"), " ".join(m.text.split())) for m in marks]
        assert [label for label, _ in shown] == [s.prediction.label for s in doc.sentences]
        for (label, seen), s in zip(shown, doc.sentences):
            assert seen.startswith(" ".join(s.text.split())) and seen.endswith(f"{label} {s.prediction.score:.2f}")
        bars = driver.find_elements(By.CSS_SELECTOR, "#chart .claim-count")
        assert {b.get_attribute("data-label"): int(b.get_attribute("data-count")) for b in bars} == doc.counts
        driver.save_screenshot(str(tmp_path / "demo.png"))
        assert (tmp_path / "demo.png").stat().st_size > 10_000
        if os.environ.get("CLAIMS_DEMO_SCREENSHOT"):  # README's picture: CLAIMS_DEMO_SCREENSHOT=docs/demo.png
            shutil.copy(tmp_path / "demo.png", ROOT / os.environ["CLAIMS_DEMO_SCREENSHOT"])

        # The slider at 1: every sentence is uncertain.
        number = driver.find_element(By.CSS_SELECTOR, "#threshold input[type=number]")
        number.send_keys(Keys.CONTROL, "a")
        number.send_keys("1", Keys.TAB)
        driver.find_element(By.ID, "analyse").click()
        wait.until(
            lambda d: (
                {m.get_attribute("data-label") for m in d.find_elements(By.CSS_SELECTOR, "#highlighted mark")}
                == {UNCERTAIN}
            )
        )

        # An empty box: a message in the page, no traceback.
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        driver.find_element(By.ID, "analyse").click()
        toasts = wait.until(
            lambda d: [t.text for t in d.find_elements(By.CSS_SELECTOR, "[data-testid=toast-text]") if t.text] or False
        )
        assert "The text is empty" in toasts[0]
        assert "Traceback" not in driver.page_source
    finally:
        driver.quit()
