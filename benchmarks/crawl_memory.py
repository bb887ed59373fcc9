"""Benchmark 7 — memory: peak resident set of a full crawl of one 10,000-document portal.

A gkmlpt portal of 10,000 documents on loopback, delay 0 and 8 connections per host so the
crawl takes minutes rather than the hours the 2 s delay would (memory grows with what the
crawl holds, not with how slowly it goes). Peak RSS is ru_maxrss of the ``crawler.run``
process alone (benchmarks.portal_farm.measured_crawl). Target: < 250 MB.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.portal_farm import measured_crawl, requests_of, span_of, timed, write_config
from benchmarks.report import Report, at_most
from localportals import PortalServer, synthetic_site

FULL_DOCS, QUICK_DOCS = 10_000, 100
FAMILY = "gkmlpt"


def run(report: Report, quick: bool) -> None:
    n_docs = QUICK_DOCS if quick else FULL_DOCS
    site = timed(synthetic_site(FAMILY, n_docs, seed=202))
    with tempfile.TemporaryDirectory(prefix="eduwatch-bench-memory-") as tmp, PortalServer(site):
        workdir = Path(tmp)
        config = write_config(workdir / "eduwatch.toml", f"sqlite:///{workdir / 'eduwatch.db'}", [site],
                              delay=0.0, concurrency_per_host=8, max_list_pages=1_000)
        crawl = measured_crawl(config, [site.name], full=True, timeout=1500)
        requests, span = requests_of([site]), span_of([site])
    if crawl.statuses() != {"ok": 1} or crawl.total("docs_new") != n_docs:
        report.note(f"crawl did not finish cleanly: {crawl.summaries}")
    report.note(f"{FAMILY} portal of {n_docs:,} documents, delay 0, 8 connections per host; {requests:,} requests "
                f"in {span:.0f} s, {crawl.total('docs_new'):,} documents stored")
    report.figure("full crawl peak RSS", crawl.peak_rss_mb, "MB", target="< 250", check=at_most(250.0),
                  note=f"{n_docs:,} documents")
