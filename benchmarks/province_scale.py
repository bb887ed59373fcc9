"""Benchmark 3 — province scale: one incremental cycle over 3,000 portals on one machine.

gkmlpt portals of 100 stored documents each (a province's counties, departments and towns),
one new document on each, served by one MultiSiteServer on one loopback address per portal;
realistic politeness (2 s between requests to one host, one connection per host). Set-up as
in benchmark 2 (one real template crawl, state cloned). Measured: wall time of the cycle,
start-up before the first request, and peak RSS of the crawl process. Targets at 3,000
portals: under 10 minutes and under 500 MB.

Why the full suite does not run 3,000 by default: today's crawl process builds one Scrapy
crawler per portal and every one of them re-reads the whole configuration file, so start-up
grows with the square of the portal count (about 20 minutes before the first request at
3,000) and memory grows linearly past the crawl's own 1 GB limit. The full suite therefore
runs the real cycle at 100 and 300 portals, prints both, and extrapolates to 3,000 from them:
start-up linearly plus the measured growth of one crawler's construction cost from a 300- to a
3,000-portal configuration (benchmarks.crawler_startup builds real crawlers for both), memory
and CPU per request linearly (each model says so on its line).
``EDUWATCH_BENCH_PORTALS=3000 python -m benchmarks --only province_scale`` runs the real
thing. The crawl is split into child processes of ``[crawl] portals_per_process`` portals
(default 250), ``[crawl] processes`` at a time (default 1; ``EDUWATCH_BENCH_PROCESSES=2`` and
``EDUWATCH_BENCH_PORTALS_PER_PROCESS`` override them), each under eduwatch's default per-child
memory limit; peak RSS is reported for the largest child and for the children's sum.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from benchmarks.incremental_cycle import report_cycle, run_cycle
from benchmarks.portal_farm import PROJECT_ROOT
from benchmarks.report import Report, at_most

TARGET_PORTALS = 3_000
FULL_SIZES = (100, 300)
QUICK_SIZES = (10,)
DOCS, NEW = 100, 1
QUICK_DOCS = 20
DELAY = 2.0
QUICK_DELAY = 0.2  # quick mode keeps the shape of the cycle, not its length
MEMORY_LIMIT_MB = None  # eduwatch's default [daemon] crawl_memory_mb, which applies to each crawl child


def crawler_cost(portals: int, crawlers: int = 10) -> float:
    """Seconds crawler.run spends building one portal's crawler with a ``portals``-sized configuration."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.crawler_startup", str(portals), "--crawlers",
                           str(crawlers)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"crawler_startup failed: {done.stderr[-1500:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["per_crawler_s"])


def run(report: Report, quick: bool) -> None:
    forced = int(os.environ.get("EDUWATCH_BENCH_PORTALS", "0") or 0)
    sizes = (forced,) if forced else (QUICK_SIZES if quick else FULL_SIZES)
    delay = QUICK_DELAY if quick else DELAY
    docs = QUICK_DOCS if quick else DOCS
    points = []  # (portals, startup s, wall s, peak MB, cpu s, requests)
    for portals in sizes:
        label = f"province {portals}"
        crawl, counts, span, startup = run_cycle(report, portals=portals, docs=docs, new=NEW, delay=delay,
                                                 label=label, timeout=2400, crawl_memory_mb=MEMORY_LIMIT_MB)
        report_cycle(report, crawl, counts, span, delay, label, startup)
        report.figure(f"{label} crawl peak RSS (largest child)", crawl.peak_rss_mb, "MB",
                      note=f"{crawl.processes} crawl children seen")
        report.figure(f"{label} crawl peak RSS (children summed)", crawl.peak_sum_rss_mb, "MB",
                      note=f"{crawl.peak_sum_rss_mb / portals * 1000:.0f} kB per portal")
        points.append((portals, startup, crawl.seconds, crawl.peak_sum_rss_mb, crawl.cpu_seconds,
                       counts.useful + sum(counts.other.values())))
    last = points[-1]
    if last[0] >= TARGET_PORTALS:
        report.figure("province cycle time", last[2] / 60, "min", target="< 10", check=at_most(10.0),
                      note=f"{last[0]:,} portals, measured")
        report.figure("province crawl peak RSS", last[3], "MB", target="< 500", check=at_most(500.0),
                      note=f"{last[0]:,} portals, measured, crawl children summed")
        return
    if len(points) < 2:  # quick mode: one small size, no honest extrapolation possible
        report.figure("province cycle time", last[2] / 60, "min", note=f"{last[0]} portals only (quick)")
        report.figure("province crawl peak RSS", last[3], "MB", note=f"{last[0]} portals only (quick)")
        return
    (p1, _s1, _w1, m1, c1, r1), (p2, s2, w2, m2, c2, r2) = points[-2], points[-1]
    scale = TARGET_PORTALS / p2
    cost_small, cost_target = crawler_cost(p2), crawler_cost(TARGET_PORTALS)
    report.figure(f"building one portal's crawler, {p2}-portal configuration", cost_small * 1000, "ms")
    report.figure(f"building one portal's crawler, {TARGET_PORTALS:,}-portal configuration", cost_target * 1000, "ms",
                  note=f"× {TARGET_PORTALS:,} portals = {cost_target * TARGET_PORTALS / 60:.1f} min before any request")
    # start-up: what was measured at p2, scaled linearly, plus each crawler's extra cost at full size
    startup = s2 * scale + TARGET_PORTALS * max(cost_target - cost_small, 0.0)
    # crawl phase: the longer of the politeness it needs (unchanged per portal) and its CPU work
    cpu_per_request = max((c2 - c1) / max(r2 - r1, 1), 0.0)
    crawl_phase = max(w2 - s2, cpu_per_request * r2 * scale)
    memory = m2 + (m2 - m1) / (p2 - p1) * (TARGET_PORTALS - p2)
    report.note(f"EXTRAPOLATED to {TARGET_PORTALS:,} portals from the measured {p1} and {p2}: start-up "
                f"{startup / 60:.1f} min (linear + measured crawler construction cost), crawl phase {crawl_phase / 60:.1f} min "
                f"(max of politeness and {cpu_per_request * 1000:.0f} ms CPU per request), "
                f"memory {memory:.0f} MB (linear)")
    report.figure("province cycle time", (startup + crawl_phase) / 60, "min", target="< 10", check=at_most(10.0),
                  note=f"EXTRAPOLATED to {TARGET_PORTALS:,} portals, not measured")
    report.figure("province crawl peak RSS", memory, "MB", target="< 500", check=at_most(500.0),
                  note=f"EXTRAPOLATED to {TARGET_PORTALS:,} portals, not measured")
