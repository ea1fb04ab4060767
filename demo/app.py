"""The Gradio page behind ``claims demo``: an article box, a file upload and a threshold slider in front of
one ``Classifier`` loaded at start-up. Input errors reach the page as messages (``gr.Error``), never as
tracebacks; the server binds to 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from an offline tool

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402  (a gradio dependency)

from inference import Classifier  # noqa: E402
from inference.cli import model_text_column  # noqa: E402

from .analysis import (  # noqa: E402
    FILE_TYPES,
    DemoInputError,
    ShownSentence,
    analyse_text,
    classify_file,
    count_shown,
    table_rows,
    write_table,
)
from .example import EXAMPLE_ARTICLE  # noqa: E402
from .render import bar_chart, highlight  # noqa: E402
from .summary import describe_model  # noqa: E402

DEFAULT_THRESHOLD = 0.5
INTRO = (
    "# Who accuses, who denies, who reassures\n"
    "Paste a French news article: every sentence is labelled as an accusation, a denial, a reassurance or "
    "neutral, with the model's probability. Hover a sentence for all four."
)


def build_app(classifier: Classifier, threshold: float = DEFAULT_THRESHOLD, text_column: str = "text") -> gr.Blocks:
    """The demo page for ``classifier``; ``threshold`` is the slider's starting value.

    API endpoints: ``/analyse`` (text, threshold) -> (highlighted HTML, counts HTML, sentences as JSON) and
    ``/classify_file`` (file, text column, threshold) -> (table, CSV file).
    """
    workdir = Path(tempfile.mkdtemp(prefix="claims-demo-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)

    def analyse(text: str, threshold: float) -> tuple[str, str, dict]:
        try:
            sentences = analyse_text(classifier, text, float(threshold))
        except DemoInputError as error:
            raise gr.Error(str(error), title="Cannot analyse this text", print_exception=False) from None
        return _article_outputs(text, sentences, classifier.labels)

    def classify_upload(file: str | None, column: str, threshold: float) -> tuple[pd.DataFrame, str]:
        try:
            lined = classify_file(classifier, file, (column or "").strip() or text_column, float(threshold))
        except DemoInputError as error:
            raise gr.Error(str(error), title="Cannot classify this file", print_exception=False) from None
        header, rows = table_rows(lined, classifier.labels)
        out = Path(tempfile.mkdtemp(dir=workdir)) / f"{Path(file).stem}-claims.csv"
        return pd.DataFrame(rows, columns=header), str(write_table(header, rows, out))

    with gr.Blocks(title="claims-fr demo", analytics_enabled=False) as app:
        gr.Markdown(INTRO)
        gr.Markdown(describe_model(classifier), elem_id="model-summary")
        slider = gr.Slider(
            0.0, 1.0, value=threshold, step=0.01, label="Uncertain below this score",
            info="A sentence whose best score is lower is shown as uncertain instead of forced into a label.",
            elem_id="threshold",
        )  # fmt: skip
        with gr.Tab("Article"):
            text = gr.Textbox(value=EXAMPLE_ARTICLE, lines=10, max_lines=30, label="Article", elem_id="article")
            analyse_button = gr.Button("Analyse", variant="primary", elem_id="analyse")
            with gr.Row():
                highlighted = gr.HTML(elem_id="highlighted", min_height=60)
                chart = gr.HTML(elem_id="chart")
            with gr.Accordion("Sentences as JSON", open=False):
                details = gr.JSON(label="sentences")
        with gr.Tab("File"):
            gr.Markdown("A `.txt` article, or a CSV/TSV/JSONL file with a text column (each row is split into "
                        "sentences).")  # fmt: skip
            upload = gr.File(file_types=list(FILE_TYPES), label="File", elem_id="upload")
            column = gr.Textbox(value=text_column, label="Text column (CSV/JSONL)", elem_id="text-column")
            classify_button = gr.Button("Classify file", variant="primary", elem_id="classify")
            table = gr.Dataframe(label="Sentences", wrap=True, elem_id="table")
            download = gr.File(label="Download as CSV", elem_id="download")
        analyse_button.click(analyse, [text, slider], [highlighted, chart, details], api_name="analyse")
        classify_button.click(classify_upload, [upload, column, slider], [table, download], api_name="classify_file")
    return app


def _article_outputs(text: str, sentences: list[ShownSentence], labels: tuple[str, ...]) -> tuple[str, str, dict]:
    counts = count_shown(sentences, labels)
    return (
        highlight(text, sentences, labels),
        bar_chart(counts, labels),
        {
            "sentences": [s.to_dict() for s in sentences],
            "counts": counts,
        },
    )


def run_demo(args: argparse.Namespace) -> int:
    """Load the model once, then serve the page until interrupted."""
    if not 0.0 <= args.threshold <= 1.0:
        raise ValueError(f"--threshold must be between 0 and 1, got {args.threshold}")
    classifier = Classifier(args.model, accept_any_labels=args.accept_any_labels)
    app = build_app(classifier, args.threshold, model_text_column(args.model))
    print(f"claims demo: model {classifier.path}", flush=True)
    app.launch(
        server_name=args.host,
        server_port=args.port,
        share=False,
        show_error=False,  # unexpected errors show as "Error", without their traceback
        max_file_size="10mb",
        ssr_mode=False,
        footer_links=["api"],
    )
    return 0
