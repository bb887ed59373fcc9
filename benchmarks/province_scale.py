"""Benchmark 3 — province scale: one incremental cycle over 3,000 portals on one machine.

3,000 gkmlpt portals of 100 stored documents each (a province's counties, departments and
towns), one new document on each, served by one MultiSiteServer on 3,000 loopback addresses;
realistic politeness (2 s between requests to one host, one connection per host). Set-up
as in benchmark 2 (one real template crawl, state cloned). Measured: wall time of the one
cycle and peak RSS of the crawl process. Targets: under 10 minutes and under 500 MB.
"""

from __future__ import annotations

from benchmarks.incremental_cycle import report_cycle, run_cycle
from benchmarks.report import Report, at_most

FULL = dict(portals=3_000, docs=100, new=1)
QUICK = dict(portals=10, docs=20, new=1)
DELAY = 2.0
QUICK_DELAY = 0.2  # quick mode keeps the shape of the cycle, not its length


def run(report: Report, quick: bool) -> None:
    sizes, delay = (QUICK, QUICK_DELAY) if quick else (FULL, DELAY)
    crawl, counts, span = run_cycle(report, delay=delay, label="province", timeout=1200, **sizes)
    report_cycle(report, crawl, counts, span, delay, "province")
    report.figure("province cycle time", crawl.seconds / 60, "min", target="< 10", check=at_most(10.0),
                  note=f"{sizes['portals']:,} portals")
    report.figure("province crawl peak RSS", crawl.peak_rss_mb, "MB", target="< 500", check=at_most(500.0),
                  note=f"{crawl.peak_rss_mb / sizes['portals'] * 1000:.0f} kB per portal")
