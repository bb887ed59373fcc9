"""One crawl child, supervised: the only place a crawl process is started, watched and stopped.

Scrapy's reactor cannot be restarted, and a crawl can leak, crash or hang; a child process
per batch of portals (about a second of start-up) isolates all three. The daemon, the CLI,
the tests and the benchmarks all crawl through :class:`CrawlChild`, so what they exercise
is what the product runs.

The runs are opened here, before the child starts, and handed over with ``--run-id``: if the
child hangs, crashes, runs out of memory or is stopped, every run is still accounted for
(:meth:`storage.runs.Runs.settle`) — the child's own record when it closed the run, otherwise
``failed`` with the reason — and never left ``running``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping, Sequence

from crawler.child import CHILD_MODULES, LIVE_FLAG, PARENT_PID_ENV, PROGRESS_PREFIX, is_live, parse_report
from eduwatch.config import Config
from storage.database import Database
from storage.runs import RunSummary, Runs
from storage.store import Store

log = logging.getLogger("eduwatch.crawl")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHILD_TRIGGERS = ("manual", "schedule", "worker")  # what crawler.run accepts on its command line
# After a spider time limit the child closes its spiders itself (CLOSESPIDER_TIMEOUT) and
# records its runs; only a child still alive this much later is stopped.
KILL_GRACE = 30.0
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL for a crawl child
STOPPED_BY_SHUTDOWN = "stopped by shutdown"
_TAIL_LINES = 20
_MEMORY_MARKERS = ("MemoryError", "failed to map segment", "Cannot allocate memory", "std::bad_alloc")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class CrawlLimits:
    """What one child may spend. Each limit applies to each child, not to the whole crawl.

    ``time_limit`` is a hard wall-time limit, the daemon's ``crawl_time_limit``: past it the
    child is stopped. ``spider_time_limit`` is a soft one: each spider closes itself after
    that long and records what it saved; the child is stopped only if it is still alive
    ``kill_grace`` seconds later.
    """

    time_limit: float | None = None
    memory_mb: int | None = None  # address-space cap of the child (RLIMIT_AS)
    spider_time_limit: float | None = None
    kill_grace: float = KILL_GRACE

    @classmethod
    def from_config(cls, config: Config) -> "CrawlLimits":
        return cls(config.daemon.crawl_time_limit, config.daemon.crawl_memory_mb)

    def deadline(self) -> tuple[float, str] | None:
        """Seconds after which the child is stopped, and the reason its runs then fail with."""
        soft = None if self.spider_time_limit is None else self.spider_time_limit + self.kill_grace
        if self.time_limit and (soft is None or self.time_limit <= soft):
            return self.time_limit, f"time limit of {self.time_limit:g} s exceeded"
        if soft is not None:
            return soft, f"crawl process did not finish within {soft:g} s and was killed"
        return None


@dataclass(frozen=True)
class CrawlOrder:
    """What to crawl with, shared by every child of one crawl."""

    config: Config
    config_path: str | None
    full: bool = False
    trigger: str = "manual"
    limits: CrawlLimits = CrawlLimits()
    extra_args: tuple[str, ...] = ()
    module: str = CHILD_MODULES[0]  # or crawler.distributed_recrawl (``eduwatch recrawl --url``)
    # the daemon's runs: the schedule slot each portal's run is for (naive UTC), kept on the run row
    due_at: Mapping[str, datetime] = field(default_factory=dict, hash=False)


class CrawlChild:
    """Crawl some portals in one ``python -m crawler.child`` process and account for every run."""

    def __init__(self, db: Database, order: CrawlOrder, portals: Sequence[str], *,
                 progress: Progress | None = None) -> None:
        self.db, self.order = db, order
        self.portals = list(dict.fromkeys(portals))
        self.progress = progress
        self.stderr_tail: deque[str] = deque(maxlen=_TAIL_LINES)
        self.stdout: list[str] = []
        self.proc: subprocess.Popen[str] | None = None

    def command(self, run_ids: dict[str, int]) -> list[str]:
        order = self.order
        cmd = [sys.executable, "-m", "crawler.child", "--module", order.module]
        if order.limits.memory_mb:
            cmd += ["--memory-mb", str(order.limits.memory_mb)]
        cmd += ["--"]
        if order.config_path:
            cmd += ["--config", str(order.config_path)]
        if order.limits.spider_time_limit:
            cmd += ["--time-limit", f"{order.limits.spider_time_limit:g}"]
        if order.full:
            cmd += ["--full"]
        cmd += ["--trigger", order.trigger if order.trigger in CHILD_TRIGGERS else "manual"]
        for portal, run_id in run_ids.items():
            cmd += ["--run-id", f"{portal}={run_id}"]
        if order.module == CHILD_MODULES[0] and getattr(self.progress, "wants_live", False):
            cmd += [LIVE_FLAG]  # a bar draws them; see crawler.child.LIVE_FLAG
        return cmd + list(order.extra_args) + self.portals

    def run(self, stop: threading.Event | None = None) -> list[RunSummary]:
        """Open the runs, run the child to its end (or its limit, or ``stop``), settle the runs."""
        order = self.order
        Store(self.db).sync_portals([order.config.portal(name) for name in self.portals])
        runs = Runs(self.db)
        run_ids = {name: runs.open(name, full=order.full, trigger=order.trigger, due_at=order.due_at.get(name))
                   for name in self.portals}
        if stop is not None and stop.is_set():  # shutting down before this batch's turn: no child at all
            return self._settle(run_ids, STOPPED_BY_SHUTDOWN)
        self.proc = subprocess.Popen(
            self.command(run_ids), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace", env=self._environment(), start_new_session=True,
        )
        readers = [threading.Thread(target=self._read_stderr, daemon=True),
                   threading.Thread(target=self._read_stdout, daemon=True)]
        for reader in readers:
            reader.start()
        try:
            why_stopped = self._watch(stop)
        finally:
            self.terminate()
            for reader in readers:
                reader.join(timeout=5)
        return self._settle(run_ids, why_stopped)

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        env.setdefault("PYTHONUNBUFFERED", "1")
        env[PARENT_PID_ENV] = str(os.getpid())
        env.setdefault("MALLOC_ARENA_MAX", "2")  # fewer malloc arenas: RLIMIT_AS counts reserved space
        if self.order.config_path:
            env["EDUWATCH_CONFIG"] = str(self.order.config_path)
        return env

    def _watch(self, stop: threading.Event | None) -> str | None:
        """Wait for the child; why it had to be stopped, if it had to."""
        assert self.proc is not None
        deadline = self.order.limits.deadline()
        started = time.monotonic()
        while self.proc.poll() is None:
            if stop is not None and stop.is_set():
                return STOPPED_BY_SHUTDOWN
            if deadline is not None and time.monotonic() - started > deadline[0]:
                return deadline[1]
            (stop.wait(0.2) if stop is not None else time.sleep(0.2))
        return None

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.rstrip("\n")
            if line.startswith(PROGRESS_PREFIX):
                self._tell(line[len(PROGRESS_PREFIX):])
            elif line:
                self.stderr_tail.append(line)
                log.debug("crawl child: %s", line)

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        self.stdout.extend(line.rstrip("\n") for line in self.proc.stdout)

    def _tell(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)
        else:
            log.log(logging.DEBUG if is_live(line) else logging.INFO, line)

    def terminate(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM the child's whole process group; SIGKILL whatever is left after ``grace``."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def _settle(self, run_ids: dict[str, int], why_stopped: str | None) -> list[RunSummary]:
        """The child's summaries where it reported them; every other run settled with the reason."""
        reported = {} if why_stopped else {s.run_id: s for s in parse_report(self.stdout)}
        reason = why_stopped or self._exit_reason()
        runs = Runs(self.db)
        summaries = []
        for portal, run_id in run_ids.items():
            summary = reported.get(run_id)
            if summary is None:
                summary = runs.settle(run_id, reason, stopped=why_stopped is not None)
                self._tell(f"{portal}: {summary.status} ({summary.reason})")
            summaries.append(summary)
        return summaries

    def _exit_reason(self) -> str:
        code = self.proc.returncode if self.proc is not None else None
        if code is None or code == 0:
            return "the crawl process ended without closing the run"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            return f"the crawl process was killed by {name}" + self._memory_hint()
        return f"the crawl process failed (exit {code})" + self._memory_hint() + self._last_error()

    def _memory_hint(self) -> str:
        memory_mb = self.order.limits.memory_mb
        if memory_mb and any(marker in line for line in self.stderr_tail for marker in _MEMORY_MARKERS):
            return f" (out of memory: limit {memory_mb} MB)"
        return ""

    def _last_error(self) -> str:
        for line in reversed(self.stderr_tail):
            if "Error" in line or "error" in line:
                return f": {line.strip()[:300]}"
        return ""


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
