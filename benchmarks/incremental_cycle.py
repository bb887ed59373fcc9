"""Benchmark 2 — the cost of one incremental cycle: 200 portals × 500 stored documents, 1% new.

Set-up (not measured): one template portal is crawled for real and its state cloned to the
other 199 (benchmarks.fleet); then 5 new documents are published on every portal. Measured:
one incremental crawl of all portals together at the realistic politeness of the shipped
configuration (2 s between requests to one host, one connection per host).

Requests are counted by the portals themselves and sorted into list pages, detail pages of
new documents, and everything else. Target: requests ≤ list pages needed + new documents.
"List pages needed" is the entry page plus the first page of every list (a gkmlpt portal has one
list per leaf category), plus further pages only where new entries overflow the first:
ceil((new + 1) / page size) − 1.
Time is split into politeness (the per-host delays the busiest portal must wait) and
eduwatch's own work (the crawl process's CPU seconds). Target: politeness dominates.
"""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from benchmarks import fleet
from benchmarks.portal_farm import (
    CrawlMeasurement,
    crawl_split,
    first_request_at,
    measured_crawl,
    requests_of,
    reset_logs,
    span_of,
)
from benchmarks.report import Report, at_most
from localportals import Site

FULL = dict(portals=200, docs=500, new=5)
QUICK = dict(portals=3, docs=30, new=1)
DELAY = 2.0
QUICK_DELAY = 0.2  # quick mode keeps the shape of the cycle, not its length


@dataclass
class CycleCount:
    list_pages: int
    new_details: int
    other: Counter  # path -> count, for anything that is neither
    needed_lists: int
    new_documents: int
    max_per_portal: int

    @property
    def useful(self) -> int:
        return self.list_pages + self.new_details


def classify_requests(sites: Sequence[Site], new_ids: dict[str, set[int]]) -> CycleCount:
    """Sort the portals' logs. gkmlpt: an entry page (``/gkmlpt/index``) and one list API per leaf
    category; each list's first page is needed, further pages only for new entries beyond it."""
    lists = details = 0
    other: Counter = Counter()
    needed = 0
    busiest = 0
    for site in sites:
        new_paths = {site.detail_path(doc_id) for doc_id in new_ids[site.name]}
        all_details = {site.detail_path(d.id) for d in site.docs}
        busiest = max(busiest, len(site.log))
        list_paths = set()
        for record in site.log:
            if record.path in new_paths:
                details += 1
            elif record.path in all_details or record.path == "/robots.txt":
                other[record.path if record.path == "/robots.txt" else "known detail pages"] += 1
            else:
                lists += 1
                list_paths.add(record.path)
        extra_pages = math.ceil((len(new_ids[site.name]) + 1) / site.page_size) - 1  # new ones share one list
        needed += len(list_paths) + extra_pages
    return CycleCount(lists, details, other, needed, sum(len(v) for v in new_ids.values()), busiest)


def politeness_floor(busiest: int, delay: float) -> float:
    """The least time the busiest portal needs: one delay between consecutive requests."""
    return max(busiest - 1, 0) * delay


def run_cycle(report: Report, *, portals: int, docs: int, new: int, delay: float, label: str,
              timeout: float, crawl_memory_mb: int | None = None) -> tuple[CrawlMeasurement, CycleCount, float, float]:
    """One measured incremental cycle; returns (crawl, request counts, first-to-last request span,
    start-up: seconds from launching the crawl to the portals' first request)."""
    sites = fleet.build_sites(portals, docs)
    with tempfile.TemporaryDirectory(prefix=f"eduwatch-bench-{label.replace(' ', '-')}-") as tmp, fleet.serve(sites):
        workdir = Path(tmp)
        fast_config, url = fleet.configure(workdir, sites, delay=0.0, per_host=8)  # set-up: as fast as it goes
        template = fleet.crawl_template(fast_config, sites[0], timeout=timeout)
        cloned = fleet.clone_state(url, sites[0], sites[1:])
        new_ids = {site.name: {d.id for d in fleet.add_new_documents(site, new)} for site in sites}
        reset_logs(sites)
        report.note(f"set-up: template crawl of {docs} documents {template.seconds:.1f} s, "
                    f"{cloned:,} sources cloned to {portals - 1} portals, {new} new documents per portal")
        config = fleet.configure(workdir, sites, delay=delay, crawl_memory_mb=crawl_memory_mb)[0]
        crawl = measured_crawl(config, [s.name for s in sites], full=False, timeout=timeout)
        counts = classify_requests(sites, new_ids)
        span = span_of(sites)
        total = requests_of(sites)
        first = first_request_at(sites)
        startup = (first - crawl.started) if first is not None else crawl.seconds
    statuses = crawl.statuses()
    if statuses.get("ok", 0) != portals:
        report.note(f"run statuses: {statuses}; first failures: "
                    f"{[s for s in crawl.summaries if s['status'] != 'ok'][:2]}")
    stored = crawl.total("docs_new")
    report.note(f"{portals} portals × {docs} documents, {counts.new_documents} new; delay {delay:g} s, 1 connection "
                f"per host; {total:,} requests; {stored} new documents stored; revisits and deep walks off "
                "(their cost per cycle: benchmarks/freshness.py)")
    return crawl, counts, span, startup


def report_cycle(report: Report, crawl: CrawlMeasurement, counts: CycleCount, span: float, delay: float,
                 label: str, startup: float) -> None:
    budget = counts.needed_lists + counts.new_documents
    report.figure(f"{label} requests (list + new detail)", counts.useful, "requests",
                  target=f"≤ {budget} ({counts.needed_lists} list pages needed + {counts.new_documents} new)",
                  check=at_most(budget),
                  note=f"{counts.list_pages} list pages, {counts.new_details} new detail pages")
    extra = sum(counts.other.values())
    report.figure(f"{label} other requests", extra, "requests", target="0", check=at_most(0),
                  note=", ".join(f"{path} ×{n}" for path, n in counts.other.most_common(4)) or "none")
    # A crawl split into children runs them a few at a time: each round waits its own floor.
    rounds = math.ceil(max(crawl.processes, 1) / crawl_split()[1])
    floor = politeness_floor(counts.max_per_portal, delay) * rounds
    report.figure(f"{label} cycle wall time", crawl.seconds, "s",
                  note=f"{span:.1f} s first-to-last request; peak RSS {crawl.peak_rss_mb:.0f} MB")
    report.figure(f"{label} start-up before the first request", startup, "s",
                  note="processes, configuration, database, one Scrapy crawler per portal")
    report.figure(f"{label} politeness floor", floor, "s",
                  note=f"busiest portal {counts.max_per_portal} requests × {delay:g} s delay (jittered 0.5–1.5×)"
                       + (f", × {rounds} rounds of crawl children" if rounds > 1 else ""))
    report.figure(f"{label} eduwatch CPU time", crawl.cpu_seconds, "s",
                  target="< politeness floor", check=lambda cpu: cpu < floor,
                  note=f"crawl process user+system; {crawl.seconds - floor:.1f} s of wall time above the floor")


def run(report: Report, quick: bool) -> None:
    sizes, delay = (QUICK, QUICK_DELAY) if quick else (FULL, DELAY)
    crawl, counts, span, startup = run_cycle(report, delay=delay, label="incremental", timeout=600, **sizes)
    report_cycle(report, crawl, counts, span, delay, "incremental", startup)
