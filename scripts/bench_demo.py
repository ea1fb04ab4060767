"""Time per 40-sentence article in the demo: what one press of Analyse costs on this machine.

The article is made of consecutive test-split articles (one paragraph each) up to 40 sentences. In-process,
it times the handler's work (``predict_document`` with the demo's one loaded ``Classifier``, then the HTML);
with ``--url`` it times the whole round trip through Gradio's API of a running ``claims demo``.

    python scripts/bench_demo.py --model outputs/claims-mini
    python scripts/bench_demo.py --model outputs/claims-mini --url http://127.0.0.1:7860/
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from itertools import groupby
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo.analysis import analyse_text, count_shown  # noqa: E402
from demo.render import bar_chart, highlight  # noqa: E402
from inference import Classifier, split_sentences  # noqa: E402


def build_article(sentences: int = 40) -> str:
    """Consecutive test-split articles, one paragraph each, cut to exactly ``sentences`` sentences."""
    with (ROOT / "data" / "claims" / "test.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    paragraphs, count = [], 0
    for _, group in groupby(rows, key=lambda row: row["group"]):
        texts = [row["text"] for row in group][: sentences - count]
        paragraphs.append(" ".join(texts))
        count += len(texts)
        if count == sentences:
            break
    return "\n\n".join(paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="outputs/claims-mini")
    parser.add_argument("--url", help="a running claims demo: time the API round trip instead")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    article = build_article()
    print(f"article: {len(split_sentences(article))} sentences, {len(article):,} characters")
    if args.url:
        from gradio_client import Client

        client = Client(args.url, verbose=False)

        def once():
            return client.predict(article, 0.5, api_name="/analyse")
    else:
        started = time.perf_counter()
        classifier = Classifier(args.model)
        print(f"model loaded once in {time.perf_counter() - started:.2f} s: {classifier}")

        def once():
            shown = analyse_text(classifier, article, 0.5)
            counts = count_shown(shown, classifier.labels)
            return highlight(article, shown, classifier.labels), bar_chart(counts, classifier.labels)

    once()  # warm-up
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    print(f"per article over {args.runs} runs: median {statistics.median(times) * 1000:.0f} ms, "
          f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
