"""Benchmark 5 — one long plan: diff time and classification time at 100,000 characters.

The plan is built from the real rural-education seeds in localportals/seeds, repeated with
varied numbers until it is 100,000 characters long (a large county plan with appendices).
The revision makes the edits portals really make: changed figures and dates in a few dozen
lines, inserted and deleted paragraphs. Diff time is ``diff_texts`` plus what the monitor
renders from it (change summaries and the HTML with context); classification is ``classify``
on the whole plan. Targets: diff < 0.5 s, classification < 10 ms.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from pathlib import Path
from typing import Callable

from benchmarks.report import Report, at_most
from monitor.changes.classifier import ClassifiableDocument, classify
from monitor.changes.diffing import diff_texts

SEEDS = Path(__file__).resolve().parent.parent / "localportals" / "seeds"
PLAN_CHARS = 100_000
_DIGIT = re.compile(r"\d")


def long_plan(chars: int = PLAN_CHARS, seed: int = 3) -> str:
    """Seed texts, repeated with shifted digits so repeated parts are not identical lines."""
    rng = random.Random(seed)
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    if not texts:
        raise FileNotFoundError(f"no seed texts in {SEEDS}")
    parts: list[str] = []
    total = 0
    round_ = 0
    while total < chars:
        for text in texts:
            shift = round_
            varied = _DIGIT.sub(lambda m: str((int(m.group()) + shift) % 10), text) if round_ else text
            parts.append(f"附件{len(parts) + 1}\n{varied}")
            total += len(parts[-1]) + 1
        round_ += 1
        rng.shuffle(texts)
    return "\n".join(parts)[:chars]


def revise(text: str, edits: int = 40, seed: int = 5) -> str:
    """A revision: figures changed in some lines, a few paragraphs inserted and deleted."""
    rng = random.Random(seed)
    lines = text.split("\n")
    for _ in range(edits):
        i = rng.randrange(len(lines))
        kind = rng.random()
        if kind < 0.6 and _DIGIT.search(lines[i]):
            lines[i] = _DIGIT.sub(lambda m: str((int(m.group()) + 1) % 10), lines[i], count=1)
        elif kind < 0.8:
            lines.insert(i, "（新增）到2026年底，全县乡村学校办学条件全面达标，乡村教师培训经费按不低于5%列支。")
        elif len(lines) > 10:
            del lines[i]
    return "\n".join(lines)


def _best_and_median(repeats: int, action: Callable[[], object]) -> tuple[float, float]:
    timings = []
    for _ in range(repeats):
        begun = time.perf_counter()
        action()
        timings.append(time.perf_counter() - begun)
    return min(timings), statistics.median(timings)


def run(report: Report, quick: bool) -> None:
    old = long_plan()
    new = revise(old)
    repeats = 3 if quick else 7
    report.note(f"plan of {len(old):,} characters, revision of {len(new):,}; {repeats} repeats, median shown")

    def diff_and_render() -> None:
        diff = diff_texts(old, new)
        diff.changes()
        diff.html(context=60)

    _, diff_only = _best_and_median(repeats, lambda: diff_texts(old, new))
    report.figure("diff_texts", diff_only * 1000, "ms", target="< 500", check=at_most(500))
    _, full = _best_and_median(repeats, diff_and_render)
    changes = len(diff_texts(old, new).changes())
    report.figure("diff + changes() + html(context)", full * 1000, "ms", target="< 500", check=at_most(500),
                  note=f"{changes} changes summarised")
    # A portal re-templating the page moves every line break: the line pass cannot help then.
    rewrapped = new.replace("。\n", "。").replace("；", "；\n")
    _, reflow = _best_and_median(1, lambda: diff_texts(old, rewrapped))
    report.figure("diff of the revision with line breaks moved", reflow * 1000, "ms",
                  note=f"{len(diff_texts(old, rewrapped).changes())} changes (vs {changes}); no target")
    unrelated = long_plan(seed=9)[::-1]  # the pathological pair the timeout exists for
    _, worst = _best_and_median(1, lambda: diff_texts(old, unrelated))
    report.figure("diff of two unrelated 100k texts", worst * 1000, "ms",
                  note="bounded by monitor.changes.diffing.DIFF_TIMEOUT; no target")

    document = ClassifiableDocument(title="关于印发龙川县加快推进城乡教育优质均衡发展实施方案的通知", body=new,
                                    doc_no="龙教〔2022〕12号", publisher="龙川县教育局")
    _, classified = _best_and_median(repeats * 3, lambda: classify(document))
    result = classify(document)
    report.figure("classify", classified * 1000, "ms", target="< 10", check=at_most(10),
                  note=f"score {result.score}, is_rural_plan={result.is_rural_plan}")
