"""The units of work the daemon schedules, and the locked crawl that every command shares.

* :func:`crawl_portals_locked` — crawl portals in subprocesses (batches of
  ``[crawl] portals_per_process``, :mod:`crawler.batches`) while holding their
  ``crawl:<portal>`` leases, so the daemon, ``eduwatch crawl`` and ``eduwatch recrawl`` never
  crawl one portal twice at once, on one machine or several.
* :class:`CrawlProcess` — one ``python -m crawler.run`` child with a time limit and a memory
  limit; a hang, a crash or a kill is recorded on the run as ``failed`` with the reason, and
  the caller goes on.
* :func:`scheduled_crawl`, :func:`scheduled_delivery` — the textual job references the
  daemon gives APScheduler (``"monitor.shell.jobs:scheduled_crawl"``), resolved against the running
  :class:`monitor.shell.daemon.Daemon`.
* ``python -m monitor.shell.jobs --memory-mb N -- ARGS`` — the child's entry: set the limits,
  then become ``crawler.run ARGS``. Limits are set in the child itself (not with
  ``preexec_fn``, which is unsafe in a threaded parent such as the daemon).
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from crawler.batches import describe_split, memory_warning, run_batches, split_portals
from eduwatch.config import Config, load_config
from storage.database import Database
from storage.locks import LeaseBusy, LeaseKeeper, Locks, make_holder
from storage.models import CrawlRun, utcnow
from storage.store import RunSummary, Store

log = logging.getLogger("eduwatch.jobs")

CRAWL_LEASE_TTL = 60.0  # renewed every 20 s while the crawl runs; a killed holder frees it in 60 s
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL for a crawl child
STOPPED_BY_SHUTDOWN = "stopped by shutdown"
Progress = Callable[[str], None]


def crawl_lock(portal: str) -> str:
    return f"crawl:{portal}"


class PortalBusy(RuntimeError):
    """A portal is being crawled by someone else and the caller asked not to wait."""


@dataclass(frozen=True)
class CrawlLimits:
    time_limit: float | None = None  # seconds of wall time for the whole child
    memory_mb: int | None = None  # address-space cap of the child (RLIMIT_AS)

    @classmethod
    def from_config(cls, config: Config) -> "CrawlLimits":
        return cls(config.daemon.crawl_time_limit, config.daemon.crawl_memory_mb)


# --- one crawl child -------------------------------------------------------------------------------


class CrawlProcess:
    """Run ``crawler.run`` for some portals in a child process and account for every run.

    The runs are opened here, before the child starts, and handed over with ``--run-id``: if
    the child hangs, crashes or is killed, the runs are still closed as ``failed`` with the
    reason, never left ``running``.
    """

    def __init__(
        self,
        db: Database,
        config: Config,
        config_path: str | None,
        portals: Sequence[str],
        *,
        full: bool = False,
        trigger: str = "manual",
        limits: CrawlLimits = CrawlLimits(),
        progress: Progress | None = None,
        extra_args: Sequence[str] = (),
        module: str = "crawler.run",
    ) -> None:
        self.module = module
        self.db, self.config, self.config_path = db, config, config_path
        self.portals = list(dict.fromkeys(portals))
        self.full, self.trigger, self.limits = full, trigger, limits
        self.progress = progress
        self.extra_args = list(extra_args)
        self.stderr_tail: deque[str] = deque(maxlen=20)
        self.proc: subprocess.Popen[str] | None = None

    def command(self, run_ids: dict[str, int]) -> list[str]:
        cmd = [sys.executable, "-m", "monitor.shell.jobs", "--module", self.module]
        if self.limits.memory_mb:
            cmd += ["--memory-mb", str(self.limits.memory_mb)]
        cmd += ["--"]
        if self.config_path:
            cmd += ["--config", str(self.config_path)]
        if self.full:
            cmd += ["--full"]
        cmd += ["--trigger", self.trigger if self.trigger in ("manual", "schedule", "worker") else "manual"]
        for portal, run_id in run_ids.items():
            cmd += ["--run-id", f"{portal}={run_id}"]
        return cmd + self.extra_args + self.portals

    def run(self, stop: threading.Event | None = None) -> list[RunSummary]:
        store = Store(self.db)
        store.sync_portals([self.config.portal(name) for name in self.portals])
        run_ids = {name: store.start_run(name, full=self.full, trigger=_trigger(self.trigger)) for name in self.portals}
        env = dict(os.environ)
        env["EDUWATCH_PARENT_PID"] = str(os.getpid())
        env.setdefault("MALLOC_ARENA_MAX", "2")  # fewer malloc arenas: RLIMIT_AS counts reserved space
        if self.config_path:
            env["EDUWATCH_CONFIG"] = str(self.config_path)
        started = time.monotonic()
        why_stopped: str | None = None
        if stop is not None and stop.is_set():  # shutting down before this batch's turn: no child at all
            return self._account(run_ids, STOPPED_BY_SHUTDOWN)
        self.proc = subprocess.Popen(
            self.command(run_ids), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8", errors="replace", env=env, start_new_session=True,
        )
        stdout: list[str] = []
        readers = [
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=lambda: stdout.extend(self.proc.stdout), daemon=True),  # type: ignore[union-attr]
        ]
        for reader in readers:
            reader.start()
        try:
            while self.proc.poll() is None:
                if stop is not None and stop.is_set():
                    why_stopped = STOPPED_BY_SHUTDOWN
                    break
                limit = self.limits.time_limit
                if limit and time.monotonic() - started > limit:
                    why_stopped = f"time limit of {limit:g} s exceeded"
                    break
                (stop.wait(0.2) if stop is not None else time.sleep(0.2))
        finally:
            if self.proc.poll() is None:
                self.terminate()
            for reader in readers:
                reader.join(timeout=5)
        return self._account(run_ids, why_stopped)

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.rstrip("\n")
            if not line:
                continue
            self.stderr_tail.append(line)
            if line.startswith("[crawl] "):
                if self.progress is not None:
                    self.progress(line[len("[crawl] "):])
                else:
                    log.info(line[len("[crawl] "):])
            else:
                log.debug("crawl child: %s", line)

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

    def _account(self, run_ids: dict[str, int], why_stopped: str | None) -> list[RunSummary]:
        """Close every run the child left open, with the reason; return the stored summaries."""
        code = self.proc.returncode if self.proc is not None else None
        if why_stopped:
            reason = why_stopped
        elif code is None or code == 0:
            reason = "the crawl process ended without closing the run"
        elif code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            reason = f"the crawl process was killed by {name}" + _memory_hint(self.limits, self.stderr_tail)
        else:
            reason = (f"the crawl process failed (exit {code})" + _memory_hint(self.limits, self.stderr_tail)
                      + _last_error(self.stderr_tail))
        summaries = []
        with self.db.transaction() as session:
            for portal, run_id in run_ids.items():
                run = session.get_one(CrawlRun, run_id)
                if run.status == "running":
                    run.status, run.reason, run.finished_at = "failed", reason, utcnow()
                elif why_stopped and run.status != "ok":
                    run.reason = f"{why_stopped} ({run.reason})" if run.reason else why_stopped
                summaries.append(RunSummary(
                    run.id, portal, run.status, run.reason, run.pages_fetched, run.docs_new, run.docs_updated, run.errors
                ))
        return summaries


def _trigger(trigger: str) -> str:
    return trigger if trigger in ("manual", "schedule", "worker") else "manual"


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _memory_hint(limits: CrawlLimits, tail: deque[str]) -> str:
    markers = ("MemoryError", "failed to map segment", "Cannot allocate memory", "std::bad_alloc")
    if limits.memory_mb and any(marker in line for line in tail for marker in markers):
        return f" (out of memory: limit {limits.memory_mb} MB)"
    return ""


def _last_error(tail: deque[str]) -> str:
    for line in reversed(tail):
        if "Error" in line or "error" in line:
            return f": {line.strip()[:300]}"
    return ""


# --- the locked crawl every command shares -------------------------------------------------------


@contextmanager
def portal_leases(
    locks: Locks,
    portals: Sequence[str],
    holder: str,
    *,
    wait: bool,
    progress: Progress | None = None,
    wait_timeout: float | None = None,
    stop: threading.Event | None = None,
) -> Iterator[list[LeaseKeeper]]:
    """Hold ``crawl:<portal>`` for each portal (taken in name order: two waiters never deadlock)."""
    keepers: list[LeaseKeeper] = []
    try:
        for portal in sorted(set(portals)):
            name = crawl_lock(portal)
            if not wait:
                try:
                    locks.acquire_or_raise(name, holder, CRAWL_LEASE_TTL)
                except LeaseBusy as exc:
                    raise PortalBusy(f"portal {portal} is being crawled: {exc}") from None
            else:
                def told(lease: Any, portal: str = portal) -> None:
                    who = f"{lease.holder} since {lease.acquired_at:%H:%M:%S} UTC" if lease else "another process"
                    if progress is not None:
                        progress(f"{portal}: waiting, a crawl is running ({who})")

                if not locks.wait_acquire(name, holder, CRAWL_LEASE_TTL, timeout=wait_timeout, on_wait=told, stop=stop):
                    lease = locks.held(name)
                    raise PortalBusy(f"portal {portal} is still being crawled" + (f" by {lease.holder}" if lease else ""))
            keepers.append(LeaseKeeper(locks, name, holder, CRAWL_LEASE_TTL).start())
        yield keepers
    finally:
        for keeper in keepers:
            keeper.stop(release=True)


def crawl_portals_locked(
    config_or_path: str | Config | None,
    portals: Sequence[str],
    *,
    full: bool = False,
    trigger: str = "manual",
    wait: bool = True,
    progress: Progress | None = None,
    wait_timeout: float | None = None,
    limits: CrawlLimits | None = None,
    stop: threading.Event | None = None,
    db: Database | None = None,
    extra_args: Sequence[str] = (),
    module: str = "crawler.run",
) -> list[RunSummary]:
    """Crawl ``portals`` in child processes while holding their per-portal leases.

    The leases are held for the whole call; the portals are crawled in children of at most
    ``[crawl] portals_per_process`` portals, ``[crawl] processes`` at a time, each child with
    its own ``limits`` (time and memory are per child). A child that dies fails only its own
    portals' runs. Summaries come back for every portal, in input order.

    ``wait=False`` raises :class:`PortalBusy` (saying who holds it) instead of waiting. The
    daemon, ``eduwatch crawl`` and ``eduwatch recrawl`` all come through here.
    """
    if isinstance(config_or_path, Config):
        config, config_path = config_or_path, (None if config_or_path.source.startswith("<") else config_or_path.source)
    else:
        config_path = config_or_path or os.environ.get("EDUWATCH_CONFIG") or None
        config = load_config(config_path)
    own_db = db is None
    database = db or Database(config.database.url)
    try:
        locks = Locks(database)
        holder = make_holder(trigger)
        with portal_leases(locks, portals, holder, wait=wait, progress=progress, wait_timeout=wait_timeout, stop=stop):
            per_process, processes = config.crawl.portals_per_process, config.crawl.processes
            batches = split_portals(portals, per_process)
            if len(batches) > 1 and progress is not None:
                progress(describe_split(batches, per_process, processes))
            child_limits = limits or CrawlLimits(memory_mb=config.daemon.crawl_memory_mb)
            warning = memory_warning(batches, child_limits.memory_mb)
            if warning:
                (progress or log.warning)(warning)

            def crawl_batch(index: int, batch: list[str]) -> list[RunSummary]:
                child = CrawlProcess(
                    database, config, config_path, batch, full=full, trigger=trigger,
                    limits=child_limits, progress=progress,
                    extra_args=extra_args, module=module,
                )
                return child.run(stop=stop)

            return run_batches(batches, crawl_batch, processes)
    finally:
        if own_db:
            database.dispose()


# --- after a crawl: events and alerts ---------------------------------------------------------------


def monitor_and_deliver(db: Database, config: Config, *, deliver: bool = True) -> dict[str, Any]:
    """Turn stored changes into events/alerts, then send what is due; one pass of each at a time.

    Each pass holds a short DB lease (``monitor`` / ``deliver``) so a CLI command and the
    daemon never run the same pass twice at once; a busy pass is simply skipped (the holder
    is doing the same work).
    """
    outcome: dict[str, Any] = {}
    locks = Locks(db)
    holder = make_holder("monitor")
    if locks.wait_acquire("monitor", holder, ttl=600, timeout=60, poll=0.5):
        try:
            from monitor.changes.revisions import run_monitor

            report = run_monitor(db)
            outcome["monitor"] = _as_fields(report)
        finally:
            locks.release("monitor", holder)
    else:
        outcome["monitor"] = "busy"
    if deliver:
        outcome["deliver"] = deliver_once(db, config)
    return outcome


def deliver_once(db: Database, config: Config) -> Any:
    locks = Locks(db)
    holder = make_holder("deliver")
    if not locks.acquire("deliver", holder, ttl=600):
        return "busy"
    try:
        from alerts.delivery import deliver_pending

        return _as_fields(deliver_pending(db, config))
    finally:
        locks.release("deliver", holder)


def _as_fields(report: Any) -> Any:
    if report is None:
        return None
    if hasattr(report, "__dataclass_fields__"):
        return {k: v for k, v in vars(report).items() if isinstance(v, (int, float, str, bool))}
    return str(report)


# --- textual job references for APScheduler ---------------------------------------------------------

_daemon: Any = None  # the running monitor.shell.daemon.Daemon (one per process)


def bind_daemon(daemon: Any) -> None:
    global _daemon
    _daemon = daemon


def scheduled_crawl(portal: str) -> None:
    """APScheduler job ``monitor.shell.jobs:scheduled_crawl``: one scheduled crawl of ``portal``."""
    if _daemon is None:
        raise RuntimeError("no daemon is running in this process")
    _daemon.crawl_portal(portal)


def scheduled_delivery() -> None:
    """APScheduler job ``monitor.shell.jobs:scheduled_delivery``: retries when no crawl runs."""
    if _daemon is None:
        raise RuntimeError("no daemon is running in this process")
    _daemon.deliver()


# --- the crawl child's entry ------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: get SIGTERM if the daemon dies without stopping us (no orphaned crawls)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        return
    expected = os.environ.get("EDUWATCH_PARENT_PID")
    if expected and os.getppid() != int(expected):  # the parent died before prctl took effect
        os._exit(1)


def child_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.shell.jobs")
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--module", default="crawler.run", choices=("crawler.run", "crawler.distributed_recrawl"))
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    if args.memory_mb:
        limit = args.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _die_with_parent()
    import runpy

    sys.argv = [args.module, *rest]
    try:
        runpy.run_module(args.module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except MemoryError:
        print(f"MemoryError: the crawl exceeded its memory limit of {args.memory_mb} MB", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(child_main())

