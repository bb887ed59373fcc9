"""The quick benchmark suite runs end to end and prints every figure (so it cannot rot).

No timing is asserted: the figures depend on the machine and its load. What is asserted is
that every benchmark ran, none crashed, and each printed the figures the README explains,
with numbers in them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import BENCHMARKS

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "crawl_overhead": ["eduwatch full crawl", "bare Scrapy spider, same URLs", "eduwatch / bare",
                       "eduwatch / bare with the same Scrapy settings"],
    "incremental_cycle": ["incremental requests (list + new detail)", "incremental other requests",
                          "incremental cycle wall time", "incremental politeness floor", "incremental eduwatch CPU time"],
    "province_scale": ["province cycle time", "province crawl peak RSS"],
    "store_ingest": ["sqlite ingest, save_document", "sqlite ingest, save_documents", "sqlite dedupe lookup median",
                     "sqlite dedupe lookup p99"],
    "plan_diff_classify": ["diff_texts", "diff + changes() + html(context)", "classify"],
    "alert_delivery": ["e-mails, one delivery pass", "busy webhook, most in any", "busy webhook, alerts delivered",
                       "quiet webhooks, last message after", "slowest delivery pass, returned after"],
    "crawl_memory": ["full crawl peak RSS"],
    "web_view": ["sqlite document page median", "sqlite document page p95", "sqlite diff page median",
                 "sqlite diff page p95", "sqlite search 2-character median", "sqlite search 2-character p95",
                 "sqlite search 6-character median", "sqlite search 6-character p95"],
    "daemon_scale": [f"daemon 300 {mode} {figure}" for mode in ("new", "old one-portal-per-child")
                     for figure in ("runs on time", "lag median", "lag max", "daemon peak RSS",
                                    "crawl child peak RSS", "CPU per cycle")],
    "freshness": [f"{strategy}: {figure}" for strategy in
                  ("eduwatch freshness", "list-only (today)", "refetch-everything", "Nutch-style adaptive")
                  for figure in ("changes found within bound", "detection delay median", "detection delay p95",
                                 "requests per cycle mean", "requests per cycle max")]
                 + ["eduwatch mean cycle / refetch-everything"],
}
FIGURE = re.compile(r"^  (?P<name>.+?): (?P<value>-?[\d,]+(?:\.\d+)?) (?P<unit>\S+)")


def _sections(summary: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in summary.splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is not None and line.startswith("  "):
            current.append(line)
    return sections


@pytest.mark.timeout(900)
def test_quick_suite_runs_and_prints_every_figure() -> None:
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, capture_output=True,
                          text=True, timeout=880)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "SUMMARY" in done.stdout, output[-4000:]
    summary = done.stdout.split("SUMMARY", 1)[1]
    assert re.search(r"\b0 benchmarks failed", summary), summary
    sections = _sections(summary)
    assert set(sections) == set(BENCHMARKS), sorted(sections)
    for benchmark, names in EXPECTED.items():
        figures = {m["name"]: m["value"] for line in sections[benchmark] if (m := FIGURE.match(line))}
        for name in names:
            matching = [figure for figure in figures if name in figure]
            assert matching, f"{benchmark}: no figure named like {name!r} in {sorted(figures)}"
            assert all(float(figures[m].replace(",", "")) >= 0 for m in matching)
