"""Diff speed at 100,000 characters: the diff and its summary, and a whole monitor pass.

Run alone with ``python -m benchmarks.diff_speed [--quick]``; it also has the suite's
``run(report, quick)``. The document is the real 桓台 plan (tests/monitor/fixtures) repeated
with shifted digits to 100,000 characters. Figures:

- one sentence changed (a number): diff_texts + summary(), and + html(context) as the event stores;
- 40 scattered edits (numbers, inserted and deleted paragraphs);
- the worst case, two unrelated texts, where DIFF_TIMEOUT bounds the work;
- a whole monitor pass for that document on SQLite: normalisation, hashing, classification,
  diff, revision and event writes (what one changed document costs the daemon).
Target: the diff with summary well under a second (< 500 ms).
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from benchmarks.plan_diff_classify import revise
from benchmarks.report import Report, at_most
from monitor.changes.diffing import DEFAULT_CONTEXT, DIFF_TIMEOUT, diff_texts
from monitor.changes.textnorm import clean_text

SEED = Path(__file__).resolve().parent.parent / "tests" / "monitor" / "fixtures" / "seed_000_huantai.txt"
CHARS = 100_000
SENTENCE = "到2025年实现结对全覆盖"
_DIGIT = re.compile(r"\d")


def long_document(chars: int = CHARS) -> str:
    """The seed plan repeated, digits shifted per copy so the copies are not identical lines."""
    seed = clean_text(SEED.read_text(encoding="utf-8"))
    parts = [seed]
    copy = 0
    while sum(len(p) + 1 for p in parts) < chars:
        copy += 1
        parts.append(f"附件{copy}\n" + _DIGIT.sub(lambda m: str((int(m.group()) + copy) % 10), seed))
    return "\n".join(parts)[:chars]


def _median(repeats: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeats):
        begun = time.perf_counter()
        action()
        timings.append(time.perf_counter() - begun)
    return statistics.median(timings)


def _monitor_pass_seconds(old: str, new: str) -> tuple[float, str]:
    """One changed 100k document through run_monitor on a fresh SQLite database."""
    from eduwatch.config import PortalConfig
    from monitor.changes.revisions import run_monitor
    from storage.database import Database
    from storage.records import DocumentRecord
    from storage.runs import Runs
    from storage.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        store = Store(db)
        store.sync_portals([PortalConfig(name="bench", title="桓台县人民政府", region="山东省淄博市桓台县",
                                         platform="generic", base_url="http://bench.invalid")])

        def record(body: str) -> DocumentRecord:
            return DocumentRecord(portal="bench", url="http://bench.invalid/doc/1.html", body=body,
                                  title="桓台县人民政府办公室关于印发桓台县推进乡村教育振兴工作方案的通知",
                                  title_key="bench", doc_no="桓政办字〔2023〕18号", site="bench.invalid")

        store.save_document(record(old), Runs(db).open("bench", full=True))
        run_monitor(db, now=datetime(2026, 11, 22))
        store.save_document(record(new), Runs(db).open("bench", full=True))
        begun = time.perf_counter()
        report = run_monitor(db, now=datetime(2026, 11, 23))
        elapsed = time.perf_counter() - begun
        db.dispose()
        return elapsed, f"events {dict((k, v) for k, v in report.counts.items() if v)}"


def run(report: Report, quick: bool) -> None:
    old = long_document()
    one = old.replace(SENTENCE, "到2026年实现结对全覆盖", 1)
    many = revise(old)
    repeats = 3 if quick else 9
    report.note(f"document of {len(old):,} characters (seed 000 repeated); median of {repeats}")

    summary = diff_texts(old, one).summary()
    seconds = _median(repeats, lambda: diff_texts(old, one).summary())
    report.figure("one sentence: diff + summary", seconds * 1000, "ms", target="< 500", check=at_most(500),
                  note=summary)
    seconds = _median(repeats, lambda: _diff_summary_html(old, one))
    report.figure("one sentence: diff + summary + html(context)", seconds * 1000, "ms", target="< 500",
                  check=at_most(500))
    changes = len(diff_texts(old, many).changes())
    seconds = _median(repeats, lambda: _diff_summary_html(old, many))
    report.figure("40 scattered edits: diff + summary + html(context)", seconds * 1000, "ms", target="< 500",
                  check=at_most(500), note=f"{changes} changes found")
    unrelated = old[::-1]  # the pathological pair DIFF_TIMEOUT exists for
    seconds = _median(1, lambda: _diff_summary_html(old, unrelated))
    report.figure("worst case, two unrelated 100k texts: diff + summary + html(context)", seconds * 1000, "ms",
                  note=f"bounded by monitor.changes.diffing.DIFF_TIMEOUT = {DIFF_TIMEOUT} s; no target")
    seconds, note = _monitor_pass_seconds(old, one)
    report.figure("monitor pass for one revised 100k document (SQLite)", seconds * 1000, "ms",
                  target="< 1000", check=at_most(1000), note=note)


def _diff_summary_html(old: str, new: str) -> None:
    diff = diff_texts(old, new)
    diff.summary()
    diff.html(DEFAULT_CONTEXT)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diff_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    report = Report(quick=args.quick)
    report.current = "diff_speed"
    run(report, quick=args.quick)


if __name__ == "__main__":
    main()
