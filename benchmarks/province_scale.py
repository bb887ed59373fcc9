"""Benchmark 3 — province scale: one incremental cycle over 3,000 portals on one machine.

gkmlpt portals of 100 stored documents each (a province's counties, departments and towns),
one new document on each, served by one MultiSiteServer on one loopback address per portal;
realistic politeness (2 s between requests to one host, one connection per host). Set-up as
in benchmark 2 (one real template crawl, state cloned). Measured: wall time of the cycle,
start-up before the first request, and peak RSS of the crawl process. Targets at 3,000
portals: under 10 minutes and under 500 MB.

Why the full suite does not run 3,000 by default: the real cycle takes 6–8 minutes by itself
and the whole suite must finish in 10. The full suite runs the real cycle at 100 and 300
portals and extrapolates to 3,000 with the crawl's own structure: a crawl is split into
child processes of ``[crawl] portals_per_process`` portals (default 250), ``[crawl] processes``
at a time (default 1). Each child costs a fixed part (process start, imports, the politeness
floor of its busiest portal) plus a part per portal; the two measured sizes (1 child of 100,
children of 250 + 50) give both, and the 3,000-portal cycle is that sum over its children,
round by round. Memory is the largest child's (a child of ``portals_per_process`` portals is
measured at 300) times the children running at once. Every extrapolated line says so.
``EDUWATCH_BENCH_PORTALS=3000 python -m benchmarks --only province_scale`` runs the real
thing. ``EDUWATCH_BENCH_PROCESSES`` and ``EDUWATCH_BENCH_PORTALS_PER_PROCESS`` override the
split; peak RSS is reported for the largest child and for the children's sum.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass

from benchmarks.incremental_cycle import report_cycle, run_cycle
from benchmarks.portal_farm import PROJECT_ROOT, crawl_split
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


@dataclass(frozen=True)
class Cycle:
    """One measured cycle, what the extrapolation needs of it."""

    portals: int
    wall: float  # s, process start-up included
    peak_sum_mb: float  # crawl children running at once, summed
    peak_child_mb: float  # the largest crawl child


def run(report: Report, quick: bool) -> None:
    forced = int(os.environ.get("EDUWATCH_BENCH_PORTALS", "0") or 0)
    sizes = (forced,) if forced else (QUICK_SIZES if quick else FULL_SIZES)
    delay = QUICK_DELAY if quick else DELAY
    docs = QUICK_DOCS if quick else DOCS
    cycles: list[Cycle] = []
    for portals in sizes:
        label = f"province {portals}"
        crawl, counts, span, startup = run_cycle(report, portals=portals, docs=docs, new=NEW, delay=delay,
                                                 label=label, timeout=2400, crawl_memory_mb=MEMORY_LIMIT_MB)
        report_cycle(report, crawl, counts, span, delay, label, startup)
        report.figure(f"{label} crawl peak RSS (largest child)", crawl.peak_rss_mb, "MB",
                      note=f"{crawl.processes} crawl children seen")
        report.figure(f"{label} crawl peak RSS (children summed)", crawl.peak_sum_rss_mb, "MB",
                      note=f"{crawl.peak_sum_rss_mb / portals * 1000:.0f} kB per portal")
        cycles.append(Cycle(portals, crawl.seconds, crawl.peak_sum_rss_mb, crawl.peak_rss_mb))
    last = cycles[-1]
    if last.portals >= TARGET_PORTALS:
        report.figure("province cycle time", last.wall / 60, "min", target="< 10", check=at_most(10.0),
                      note=f"{last.portals:,} portals, measured")
        report.figure("province crawl peak RSS", last.peak_sum_mb, "MB", target="< 500", check=at_most(500.0),
                      note=f"{last.portals:,} portals, measured, crawl children summed")
        return
    if len(cycles) < 2:  # quick mode: one small size, no honest extrapolation possible
        report.figure("province cycle time", last.wall / 60, "min", note=f"{last.portals} portals only (quick)")
        report.figure("province crawl peak RSS", last.peak_sum_mb, "MB", note=f"{last.portals} portals only (quick)")
        return
    extrapolate(report, cycles[-2], cycles[-1])


def child_cost_model(small: Cycle, large: Cycle, per: int) -> tuple[float, float]:
    """(seconds per child, seconds per portal) fitted to two measured cycles.

    A cycle of p portals runs ceil(p / per) children one after the other, each costing a fixed
    part (process start-up, its busiest portal's politeness floor) plus a part per portal:
    wall(p) = ceil(p / per) × fixed + p × per_portal, so two sizes give both unknowns.
    """
    k1, k2 = math.ceil(small.portals / per), math.ceil(large.portals / per)
    determinant = k1 * large.portals - k2 * small.portals
    if determinant == 0:  # both sizes split alike: the parts cannot be told apart; charge it all per portal
        return 0.0, large.wall / large.portals
    fixed = (small.wall * large.portals - large.wall * small.portals) / determinant
    per_portal = (k1 * large.wall - k2 * small.wall) / determinant
    return max(fixed, 0.0), max(per_portal, 0.0)


def largest_child_mb(small: Cycle, large: Cycle, per: int) -> float:
    """Peak RSS of one child of ``per`` portals: measured when a cycle ran one, else linear in portals."""
    if large.portals >= per:
        return large.peak_child_mb
    slope = (large.peak_child_mb - small.peak_child_mb) / (large.portals - small.portals)
    return large.peak_child_mb + slope * (per - large.portals)


def extrapolate(report: Report, small: Cycle, large: Cycle) -> None:
    per, at_once = crawl_split()
    children = math.ceil(TARGET_PORTALS / per)
    rounds = math.ceil(children / at_once)
    fixed, per_portal = child_cost_model(small, large, per)
    # Building one portal's crawler costs more with a bigger configuration (measured, not modelled).
    cost_small, cost_target = crawler_cost(large.portals), crawler_cost(TARGET_PORTALS)
    report.figure(f"building one portal's crawler, {large.portals}-portal configuration", cost_small * 1000, "ms")
    report.figure(f"building one portal's crawler, {TARGET_PORTALS:,}-portal configuration", cost_target * 1000, "ms")
    construction = TARGET_PORTALS * max(cost_target - cost_small, 0.0) / at_once
    # children side by side share 2 cores: the per-portal work is divided among them, no more
    cycle = rounds * fixed + TARGET_PORTALS * per_portal / at_once + construction
    child_mb = largest_child_mb(small, large, per)
    memory = child_mb * min(at_once, children)
    report.note(f"EXTRAPOLATED to {TARGET_PORTALS:,} portals from the measured {small.portals} and {large.portals}: "
                f"{children} crawl children of {per} portals, {at_once} at a time ({rounds} rounds); each child "
                f"{fixed:.1f} s + {per_portal * 1000:.0f} ms per portal (fitted to the two cycles), plus "
                f"{construction:.0f} s of costlier crawler construction; memory = one child of {per} "
                f"({child_mb:.0f} MB) × {min(at_once, children)} at once")
    report.figure("province cycle time", cycle / 60, "min", target="< 10", check=at_most(10.0),
                  note=f"EXTRAPOLATED to {TARGET_PORTALS:,} portals, not measured")
    report.figure("province crawl peak RSS", memory, "MB", target="< 500", check=at_most(500.0),
                  note=f"EXTRAPOLATED to {TARGET_PORTALS:,} portals, not measured (children summed)")
