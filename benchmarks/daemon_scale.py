"""Benchmark 8 — the daemon keeps N portals on schedule (issue 14).

The real daemon (``python -m monitor --config F daemon``, a process of its own) runs against
local gkmlpt portals, one loopback address each (as ``province_scale``), at the shipped
politeness *ratio*: ``[crawl] delay`` is to the schedule's interval as 2 s is to 30 minutes.
Two real 30-minute cycles do not fit in a benchmark suite, so the schedule and the politeness
are scaled down together (the output says by how much); what does not scale — a crawl child's
start-up, building its crawlers — weighs more in a scaled run than in a real one, so the
scaled figures are a conservative reading.

Set-up (not measured): one template portal crawled for real, its state cloned to the others
(:mod:`benchmarks.fleet`) and passed through the change pass once, and one earlier scheduled run per portal with start times spread
over the last interval — a daemon in its steady state, not one meeting every portal for the
first time (that cold start runs every portal "soon" and is a different question).
Freshness revisits and deep walks are turned off: this measures scheduling;
``benchmarks/freshness.py`` measures revisits.

Measured from the runs the daemon recorded (``crawl_runs.due_at`` / ``started_at``) over the
measured cycles: the share of due slots whose run started within 10% of the interval of its due
time (a slot coalesced into a late run is not on time), lag median and max;
from ``/proc``: the daemon's peak RSS, the largest crawl child's and the children's summed peak,
and CPU (daemon + children) per cycle, against the politeness floor of one portal's run.

Then the same with the previous behaviour — one portal per crawl child, two at once
(``portals_per_process = 1``, ``processes = 2``, what the per-portal APScheduler jobs did) — for
comparison. ``--quick``: 300 portals on a 30 s schedule. Full: 300 portals on 90 s; set
``EDUWATCH_BENCH_PORTALS=3000`` (and ``EDUWATCH_BENCH_INTERVAL`` seconds, default 300) for 3,000.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

from sqlalchemy import select

from benchmarks import fleet
from benchmarks.portal_farm import PROJECT_ROOT, requests_of, reset_logs
from benchmarks.report import Report, at_least, at_most
from localportals import Site
from monitor.changes.revisions import run_monitor
from storage.database import Database
from storage.models import CrawlRun, utcnow
from storage.runs import RunOutcome, Runs

SHIPPED_DELAY, SHIPPED_INTERVAL = 2.0, 1800.0  # [crawl] delay and the 30-minute schedule
DOCS = 5  # documents per portal: the cycles walk lists; the stored state only has to exist
ON_TIME_SHARE = 0.1
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Plan:
    portals: int
    interval: float  # seconds, the scaled schedule
    cycles: int
    old_cycles: int

    @property
    def delay(self) -> float:
        return SHIPPED_DELAY * self.interval / SHIPPED_INTERVAL


def plan(quick: bool) -> Plan:
    portals = int(os.environ.get("EDUWATCH_BENCH_PORTALS", "0") or 0)
    if quick:
        return Plan(portals or 300, 30.0, 2, 1)
    interval = float(os.environ.get("EDUWATCH_BENCH_INTERVAL", "0") or 0)
    if portals >= 1000:
        return Plan(portals, interval or 300.0, 2, 1)
    return Plan(portals or 300, interval or 90.0, 2, 1)


def run(report: Report, quick: bool) -> None:
    p = plan(quick)
    scale = SHIPPED_INTERVAL / p.interval
    report.note(f"{p.portals} portals, schedule every {p.interval:g} s with delay {p.delay:.3g} s: the shipped "
                f"30 min / 2 s scaled down {scale:g}× together (two real 30-minute cycles do not fit)")
    sites = fleet.build_sites(p.portals, DOCS)
    with tempfile.TemporaryDirectory(prefix="eduwatch-bench-daemon-") as tmp, fleet.serve(sites):
        workdir = Path(tmp)
        fast_config, url = fleet.configure(workdir, sites, delay=0.0, per_host=8)
        fleet.crawl_template(fast_config, sites[0], timeout=600)
        fleet.clone_state(url, sites[0], sites[1:])
        first_monitor_pass(url)
        for label, old in (("new", False), ("old one-portal-per-child", True)):
            cycles = p.old_cycles if old else p.cycles
            config = daemon_config(workdir, sites, p, old=old)
            if not old:  # the old daemon continues from the new one's runs, as a restart would
                seed_history(url, sites, p.interval)
            reset_logs(sites)
            measured = measure(config, url, p, cycles)
            report_run(report, f"daemon {p.portals} {label}", measured, p, cycles, requests_of(sites))


def daemon_config(workdir: Path, sites: Sequence[Site], p: Plan, *, old: bool) -> Path:
    """The fleet's configuration at the scaled politeness, with the scaled schedule."""
    path = fleet.configure(workdir, sites, delay=p.delay)[0]  # revisits and deep walks are off there
    extra = ["portals_per_process = 1", "processes = 2"] if old else []
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines()
             if not (old and line.split("=")[0].strip() in ("portals_per_process", "processes"))]
    text = "\n".join(lines).replace("[crawl]\n", "[crawl]\n" + "\n".join(extra) + "\n", 1)
    text += f'\n[daemon]\ndefault_schedule = "every {p.interval:g}s"\n'
    path.write_text(text, encoding="utf-8")
    return path


def first_monitor_pass(url: str) -> None:
    """The change pass over the cloned documents, as the crawls that stored them would have had."""
    db = Database(url)
    try:
        run_monitor(db)
    finally:
        db.dispose()


def seed_history(url: str, sites: Sequence[Site], interval: float) -> None:
    """One finished scheduled run per portal, their starts spread over the last interval, so
    the daemon starts in its steady state (its first due times spread over one interval)."""
    db = Database(url)
    runs = Runs(db)
    now = utcnow()
    try:
        for n, site in enumerate(sites):
            started = now - timedelta(seconds=interval * (n + 1) / (len(sites) + 1))
            run_id = runs.open(site.name, full=False, trigger="schedule", due_at=started, started_at=started)
            runs.close(run_id, RunOutcome(pages_fetched=1))
    finally:
        db.dispose()


@dataclass
class Measured:
    lags: list[float]  # seconds, runs due in the measured window
    slots: int  # slots due in the window
    daemon_peak_mb: float
    child_peak_mb: float
    children_peak_mb: float
    cpu_per_cycle: list[float]
    daemon_rss_at_cycle_end: list[float]
    children_seen: int
    runs_outside: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def measure(config: Path, url: str, p: Plan, cycles: int) -> Measured:
    """Run the daemon for ``cycles`` intervals (plus the on-time tolerance), then stop it."""
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), EDUWATCH_CRAWL_LOG_LEVEL="WARNING")
    log = open(config.with_suffix(".log"), "ab")  # noqa: SIM115 — closed below
    began = utcnow()
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "daemon"],
                            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    sampler = Sampler(proc.pid).start()
    cpu, rss = [], []
    try:
        last = 0.0
        for cycle in range(1, cycles + 1):
            time.sleep(max(0.0, p.interval * cycle - (utcnow() - began).total_seconds()))
            now_cpu = sampler.cpu_seconds()
            cpu.append(now_cpu - last)
            rss.append(sampler.daemon_rss_mb())
            last = now_cpu
        time.sleep(ON_TIME_SHARE * p.interval + 2)
        if proc.poll() is not None:
            tail = config.with_suffix(".log").read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"the daemon exited early ({proc.returncode}): {tail}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        sampler.stop()
        log.close()
    window_end = began + timedelta(seconds=p.interval * cycles)
    lags, slots, statuses = runs_in_window(url, began, window_end, p.interval, p.portals, cycles)
    return Measured(lags, slots, sampler.daemon_peak_kb / 1024, sampler.child_peak_kb / 1024,
                    sampler.children_peak_kb / 1024, cpu, rss, len(sampler.children), statuses=statuses)


def runs_in_window(url: str, begin: datetime, end: datetime, interval: float, portals: int,
                   cycles: int) -> tuple[list[float], int, dict[str, int]]:
    """Lags of the runs due in [begin, end), the slots due there, and the runs' statuses.

    A slot coalesced into a late run leaves a gap of more than an interval between two runs'
    due times; each such slot counts as due and not on time, as does every slot of a portal
    with no run at all in the window."""
    db = Database(url)
    try:
        with db.sessions() as session:
            rows = session.execute(select(CrawlRun.portal_id, CrawlRun.due_at, CrawlRun.started_at, CrawlRun.status)
                                   .where(CrawlRun.due_at >= begin, CrawlRun.due_at < end)
                                   .order_by(CrawlRun.portal_id, CrawlRun.due_at)).all()
    finally:
        db.dispose()
    statuses: dict[str, int] = {}
    dues: dict[int, list[datetime]] = {}
    for row in rows:
        statuses[row.status] = statuses.get(row.status, 0) + 1
        dues.setdefault(row.portal_id, []).append(row.due_at)
    coalesced = sum(max(0, round((b - a).total_seconds() / interval) - 1)
                    for times in dues.values() for a, b in zip(times, times[1:]))
    slots = len(rows) + coalesced + (portals - len(dues)) * cycles
    return [max(0.0, (row.started_at - row.due_at).total_seconds()) for row in rows], slots, statuses


class Sampler:
    """Samples the daemon's and its crawl children's RSS from /proc every 0.5 s."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.daemon_peak_kb = self.child_peak_kb = self.children_peak_kb = 0
        self.children: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._children_cpu: dict[int, float] = {}

    def start(self) -> "Sampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.daemon_peak_kb = max(self.daemon_peak_kb, _rss_kb(self.pid))
            total = 0
            for child in _descendants(self.pid):
                self.children.add(child)
                rss = _rss_kb(child)
                self.child_peak_kb = max(self.child_peak_kb, rss)
                total += rss
                self._children_cpu[child] = max(self._children_cpu.get(child, 0.0), _cpu(child, own=True))
            self.children_peak_kb = max(self.children_peak_kb, total)

    def daemon_rss_mb(self) -> float:
        return _rss_kb(self.pid) / 1024

    def cpu_seconds(self) -> float:
        """The daemon's CPU plus its children's: finished ones (cutime) and running ones (sampled)."""
        waited = _cpu(self.pid, own=False)
        running = sum(self._children_cpu.get(child, 0.0) for child in _descendants(self.pid))
        return _cpu(self.pid, own=True) + waited + running


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _rss_kb(pid: int) -> int:
    stat = _stat(pid)
    return int(stat[21]) * PAGE_KB if len(stat) > 21 else 0


def _cpu(pid: int, *, own: bool) -> float:
    """utime + stime (``own``) or cutime + cstime (children waited for), in seconds."""
    stat = _stat(pid)
    if len(stat) < 15:
        return 0.0
    fields = (stat[11], stat[12]) if own else (stat[13], stat[14])
    return sum(int(value) for value in fields) / CLK_TCK


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if len(stat) > 1:
                parents[int(entry.name)] = int(stat[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current:
                found.append(child)
                frontier.append(child)
    return found


def report_run(report: Report, label: str, m: Measured, p: Plan, cycles: int, requests: int) -> None:
    tolerance = ON_TIME_SHARE * p.interval
    on_time = sum(1 for lag in m.lags if lag <= tolerance)
    share = 100.0 * on_time / m.slots if m.slots else 0.0
    report.note(f"{label}: {cycles} cycle(s) of {p.interval:g} s, {m.slots} slots due, {len(m.lags)} runs started "
                f"for them ({m.statuses}), {m.children_seen} crawl children seen, {requests:,} requests served")
    report.figure(f"{label} runs on time", share, "%", target="≥ 99", check=at_least(99.0),
                  note=f"started within {tolerance:g} s (10% of the interval) of their due time; "
                       f"{m.slots - len(m.lags)} slots coalesced into late runs")
    report.figure(f"{label} lag median", statistics.median(m.lags) if m.lags else 0.0, "s")
    report.figure(f"{label} lag max", max(m.lags) if m.lags else 0.0, "s")
    report.figure(f"{label} daemon peak RSS", m.daemon_peak_mb, "MB", target="< 500", check=at_most(500.0),
                  note="RSS at the end of each cycle: " + ", ".join(f"{r:.0f}" for r in m.daemon_rss_at_cycle_end))
    report.figure(f"{label} crawl child peak RSS", m.child_peak_mb, "MB", target="< 500", check=at_most(500.0),
                  note=f"children summed at most {m.children_peak_mb:.0f} MB")
    # The floor at the *shipped* delay: a cycle runs the same crawls at any scale, only the waits shrink.
    per_run = requests / max(1, len(m.lags))
    floor = max(0.0, per_run - 1) * SHIPPED_DELAY * p.portals
    per_cycle = max(m.cpu_per_cycle) if m.cpu_per_cycle else 0.0
    report.figure(f"{label} CPU per cycle", per_cycle, "s", target=f"< {floor:.0f} (politeness floor)",
                  check=at_most(floor),
                  note=f"daemon + crawl children, the busier cycle ({', '.join(f'{c:.1f}' for c in m.cpu_per_cycle)}); "
                       f"floor = ({per_run:.1f} requests a run − 1) × the shipped 2 s × {p.portals} runs a cycle")
