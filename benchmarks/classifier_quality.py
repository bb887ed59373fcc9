"""Classifier quality and speed: precision, recall and confusion on the three parts of the labelled
corpus (the held-out test part first), time per document, and the time for one synthetic
100,000-character plan (target < 10 ms).

Run ``python -m benchmarks.classifier_quality [--quick]``; it also has ``run(report, quick)`` so
the benchmark runner can include it. It prints figures and never asserts (the thresholds are
asserted by tests/monitor/changes/test_classifier_concepts.py). The corpus is
tests/monitor/changes/corpus/ (read by monitor.changes.classifier.corpus); seed bodies are read
from ../shared/seeds when present, otherwise from the corpus copies.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from benchmarks.report import Report, at_least, at_most
from monitor.changes.classifier import RULES_VERSION, ClassifiableDocument, classify
from monitor.changes.classifier.corpus import as_document, bundled_corpus
from monitor.changes.classifier.evaluate import evaluate

PLAN_CHARS = 100_000
TARGET_MS = 10


def load_corpus() -> list[tuple[str, bool, ClassifiableDocument]]:
    """(id, label, document) for every corpus document, all three parts."""
    return [(entry["id"], bool(entry["label"]), as_document(entry))
            for part in bundled_corpus().values() for entry in part]


def synthetic_plan(corpus: list[tuple[str, bool, ClassifiableDocument]], chars: int = PLAN_CHARS) -> ClassifiableDocument:
    """A 100,000-character plan: the positive bodies, numbered as sections, until long enough."""
    bodies = [doc.body + "\n" + doc.attachments_text for _, label, doc in corpus if label]
    parts: list[str] = []
    total = 0
    number = 0
    while total < chars:
        for body in bodies:
            number += 1
            part = f"第{number}部分\n{body}\n"
            parts.append(part)
            total += len(part)
    body = "".join(parts)[:chars]
    return ClassifiableDocument(title="关于印发《某县乡村教育振兴三年行动方案（汇编）》的通知", body=body)


def _timed(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        begun = time.perf_counter()
        function()
        times.append(time.perf_counter() - begun)
    return times


def run(report: Report, quick: bool) -> None:
    corpus = load_corpus()
    repeats = 3 if quick else 20
    report.note(f"rules {RULES_VERSION}; corpus {len(corpus)} documents "
                f"({sum(label for _, label, _ in corpus)} positive); timings best of {repeats} runs")

    for name, entries in bundled_corpus().items():  # test first: the honest figure
        part = evaluate(entries, name)
        report.figure(f"{name} precision", part.precision, "", target="≥ 0.95", check=at_least(0.95))
        report.figure(f"{name} recall", part.recall, "", target="≥ 0.95", check=at_least(0.95))
        report.note(f"{name}: {part.documents} documents; TP {part.tp}  FP {part.fp}  TN {part.tn}  FN {part.fn}")
        for error in part.errors:
            report.note(f"{name} misclassified: {error['id']} (label {error['label']}, genre {error['genre']}, "
                        f"subject {error['subject_score']:.2f}) {error['title'][:40]}")
    per_document = [min(_timed(lambda: classify(document), repeats)) for _, _, document in corpus]
    report.figure("mean time per corpus document", statistics.fmean(per_document) * 1000, "ms")
    report.figure("max time per corpus document", max(per_document) * 1000, "ms",
                  note=f"longest document {max(len(d.body) + len(d.attachments_text) for _, _, d in corpus):,} chars")

    plan = synthetic_plan(corpus)
    times = _timed(lambda: classify(plan), repeats * 3)
    result = classify(plan)
    report.figure("classify 100,000-character plan (best)", min(times) * 1000, "ms", target=f"< {TARGET_MS}", check=at_most(TARGET_MS))
    report.figure("classify 100,000-character plan (mean)", statistics.fmean(times) * 1000, "ms",
                  target=f"< {TARGET_MS}", check=at_most(TARGET_MS),
                  note=f"{len(plan.body):,} chars, is_rural_plan={result.is_rural_plan}, genre={result.genre}")

    # The slowest path: no genre in the title, so the body's structure is read, on one long line.
    news = ClassifiableDocument(title="我县乡村教育振兴新举措", body=plan.body.replace("\n", " "))
    times = _timed(lambda: classify(news), repeats * 3)
    result = classify(news)
    report.figure("classify 100,000-character news page, one line (mean)", statistics.fmean(times) * 1000, "ms",
                  target=f"< {TARGET_MS}", check=at_most(TARGET_MS), note=f"genre={result.genre}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classifier_quality", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer timing repeats")
    args = parser.parse_args(argv)
    report = Report(quick=args.quick)
    report.current = "classifier_quality"
    run(report, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
