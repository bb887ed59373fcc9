"""``eduwatch daemon``: crawl every portal on its schedule, then turn changes into alerts.

Design, and the APScheduler 3.x traps it avoids:

* **Schedules live in the configuration, history in the database.** Jobs sit in APScheduler's
  in-memory store and are rebuilt from the config at every start; whether a run was missed
  while the daemon was down is read from ``crawl_runs`` (last start of the portal + its
  interval in the past → one run soon after start). So a restart after a long outage runs
  each portal *once*, never once per missed slot, and no job store has to be shared with the
  CLI (which APScheduler does not support).
* **Jitter** on every start (``daemon.jitter``) spreads portals so a restart does not fire
  them all in the same second; **coalesce** + ``max_instances=1`` + a generous
  ``misfire_grace_time`` (APScheduler's default is one second) make a busy hour delay a run,
  not drop it.
* **One crawl per portal** across processes and machines: the ``crawl:<portal>`` lease
  (:mod:`storage.locks`). A scheduled run that finds its portal busy (a manual recrawl) is
  skipped, since that crawl does the same work.
* **Isolation**: each crawl is a child process with a time and a memory limit
  (:class:`monitor.shell.jobs.CrawlProcess`); a crash or hang becomes a failed run and the daemon
  goes on. After each crawl: the monitor pass, then delivery; delivery also runs every
  ``deliver_interval`` so retries happen when no crawl runs.
* **One daemon per database**: the ``daemon`` lease, renewed every 10 s, expires 30 s after
  a daemon is killed. A second daemon refuses to start and says who holds it.
* **Stopping**: SIGTERM/SIGINT stop the scheduler, send SIGTERM to running crawl children
  (SIGKILL after 10 s), record their runs as failed "stopped by shutdown" and release every
  lease, well within 30 s. Each document is saved in its own transaction, so nothing
  already fetched is lost; the next run refetches what a stopped run had not reached.
* **Failing portals back off** (interval doubled per failure beyond
  ``failure_backoff_after``, at most 16x or one day) and are reported once; a blocked
  portal is reported to the operator once (``portals.blocked_reported_at``), again only
  after it has recovered and been blocked anew.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from eduwatch.config import Config, PortalConfig, parse_schedule
from monitor.shell.jobs import (
    CrawlLimits,
    PortalBusy,
    bind_daemon,
    crawl_lock,
    crawl_portals_locked,
    deliver_once,
    monitor_and_deliver,
)
from monitor.shell.logging_setup import event
from storage.database import Database
from storage.locks import Lease, LeaseBusy, LeaseKeeper, Locks, make_holder
from storage.models import CrawlRun, Portal, utcnow
from storage.store import RunSummary, Store

log = logging.getLogger("eduwatch.daemon")

DAEMON_LOCK = "daemon"
DAEMON_LEASE_TTL = 30.0
SCHEDULE_PREFIX = "schedule:"
BACKOFF_MAX_FACTOR = 16
BACKOFF_MAX = timedelta(days=1)
SHUTDOWN_BUDGET = 25.0  # seconds; systemd's TimeoutStopSec is 30
FAILED = ("failed", "blocked")


class DaemonRefused(RuntimeError):
    """Another daemon holds this database."""


# --- schedules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    kind: str  # interval | cron
    interval: float  # seconds (for cron: the gap between two fire times, for backoff)
    cron: str | None = None

    @classmethod
    def of(cls, portal: PortalConfig, config: Config) -> "Schedule":
        kind, value = parse_schedule(portal.schedule or config.daemon.default_schedule)
        if kind == "interval":
            return cls("interval", float(value))
        trigger = CronTrigger.from_crontab(str(value), timezone=_local_tz())
        first = trigger.get_next_fire_time(None, datetime.now(_local_tz()))
        second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
        gap = (second - first).total_seconds() if first and second else 86400.0
        return cls("cron", gap, str(value))

    def trigger(self, jitter: float) -> IntervalTrigger | CronTrigger:
        if self.kind == "interval":
            return IntervalTrigger(seconds=self.interval, jitter=jitter or None, timezone=timezone.utc)
        trigger = CronTrigger.from_crontab(self.cron or "", timezone=_local_tz())
        trigger.jitter = jitter or None
        return trigger

    def missed_since(self, last_start: datetime | None, now: datetime) -> bool:
        """Was a run due between the portal's last start and ``now`` (both naive UTC)?"""
        if last_start is None:
            return True
        if self.kind == "interval":
            return last_start + timedelta(seconds=self.interval) <= now
        trigger = CronTrigger.from_crontab(self.cron or "", timezone=_local_tz())
        due = trigger.get_next_fire_time(None, last_start.replace(tzinfo=timezone.utc))
        return due is not None and due.astimezone(timezone.utc).replace(tzinfo=None) <= now


def _local_tz() -> Any:
    return datetime.now().astimezone().tzinfo


def first_run(schedule: Schedule, last_start: datetime | None, now: datetime, jitter: float,
              rng: random.Random) -> tuple[datetime | None, str]:
    """When a portal's first run after start-up should be (naive UTC), and why.

    A missed run (or a portal never crawled) runs once, soon, jittered; otherwise the interval
    continues from the last start. Cron schedules just continue (None) unless a run was missed.
    """
    soon = now + timedelta(seconds=1 + rng.uniform(0, jitter))
    if last_start is None:
        return soon, "never crawled"
    if schedule.missed_since(last_start, now):
        return soon, "missed while the daemon was down"
    if schedule.kind == "interval":
        return last_start + timedelta(seconds=schedule.interval + rng.uniform(0, jitter)), "on schedule"
    return None, "on schedule"


def consecutive_failures(db: Database, portal: str, limit: int = 50) -> int:
    with db.sessions() as session:
        statuses = session.scalars(
            select(CrawlRun.status).join(Portal, CrawlRun.portal_id == Portal.id)
            .where(Portal.name == portal, CrawlRun.status != "running")
            .order_by(CrawlRun.id.desc()).limit(limit)
        ).all()
    count = 0
    for status in statuses:
        if status not in FAILED:
            break
        count += 1
    return count


def backoff_delay(schedule: Schedule, failures: int, after: int) -> timedelta:
    """Extra wait before the next run of a failing portal (zero until ``after`` failures)."""
    if failures < after:
        return timedelta(0)
    factor = min(BACKOFF_MAX_FACTOR, 2 ** (failures - after + 1))
    return min(timedelta(seconds=schedule.interval * factor), max(BACKOFF_MAX, timedelta(seconds=schedule.interval)))


def last_starts(db: Database) -> dict[str, datetime]:
    with db.sessions() as session:
        rows = session.execute(
            select(Portal.name, func.max(CrawlRun.started_at)).join(CrawlRun, CrawlRun.portal_id == Portal.id)
            .group_by(Portal.name)
        )
        return {name: started for name, started in rows}


def close_interrupted_runs(db: Database, locks: Locks) -> list[int]:
    """Runs still 'running' whose portal nobody is crawling belonged to a process that died."""
    closed: list[int] = []
    busy = {lease.name for lease in locks.list("crawl:") if lease.alive(locks.now())}
    with db.transaction() as session:
        runs = session.execute(
            select(CrawlRun, Portal.name).join(Portal, CrawlRun.portal_id == Portal.id).where(CrawlRun.status == "running")
        ).all()
        for run, name in runs:
            if crawl_lock(name) in busy:
                continue
            run.status, run.finished_at = "failed", utcnow()
            run.reason = "interrupted: the process running this crawl stopped before it finished"
            closed.append(run.id)
    return closed


# --- the daemon ---------------------------------------------------------------------------------


class Daemon:
    def __init__(
        self,
        config: Config,
        config_path: str | None,
        *,
        db: Database | None = None,
        distributed: bool = False,
        workers: int = 2,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.db = db or Database(config.database.url)
        self.locks = Locks(self.db)
        self.distributed = distributed
        self.workers = max(1, workers)
        self.rng = rng or random.Random()
        self.holder = make_holder("daemon")
        self.stop_event = threading.Event()
        self.stop_reason = ""
        self.portals = [p for p in config.portals if p.enabled]
        self.schedules = {p.name: Schedule.of(p, config) for p in self.portals}
        self.scheduler: BackgroundScheduler | None = None
        self.keeper: LeaseKeeper | None = None
        self._republish = threading.Event()
        self._published: dict[str, datetime] = {}
        self._backoff_until: dict[str, datetime] = {}

    # --- start and stop ------------------------------------------------------------------

    def claim(self) -> None:
        """Take the ``daemon`` lease or raise :class:`DaemonRefused` with who holds it."""
        if self.locks.acquire(DAEMON_LOCK, self.holder, DAEMON_LEASE_TTL):
            return
        lease = self.locks.get(DAEMON_LOCK)
        if lease is not None and _stale_on_this_host(lease):
            self.locks.release(DAEMON_LOCK, lease.holder)
            if self.locks.acquire(DAEMON_LOCK, self.holder, DAEMON_LEASE_TTL):
                event(log, "daemon.took_over_stale_lease", logging.WARNING, previous=lease.holder)
                return
            lease = self.locks.get(DAEMON_LOCK)
        raise DaemonRefused(_refusal(lease))

    def run(self, install_signals: bool = True) -> int:
        """Run until SIGTERM/SIGINT (or :meth:`stop`); returns the process exit code."""
        self.claim()
        self.keeper = LeaseKeeper(self.locks, DAEMON_LOCK, self.holder, DAEMON_LEASE_TTL,
                                  on_lost=lambda _name: self.stop("the daemon lease was lost")).start()
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda signum, _frame: self.stop(signal.Signals(signum).name))
        bind_daemon(self)
        try:
            self._prepare()
            self._start_scheduler()
            event(log, "daemon.started", holder=self.holder, portals=len(self.portals), workers=self.workers,
                  distributed=self.distributed, pid=os.getpid())
            last_publish = 0.0
            while not self.stop_event.wait(0.5):
                if self._republish.is_set() or time.monotonic() - last_publish > 30:
                    self._republish.clear()
                    self._publish_next_runs()
                    last_publish = time.monotonic()
        finally:
            self._shutdown()
        return 0 if not self.keeper or not self.keeper.lost.is_set() else 1

    def stop(self, reason: str = "requested") -> None:
        if not self.stop_event.is_set():
            self.stop_reason = reason
            self.stop_event.set()

    def _prepare(self) -> None:
        Store(self.db).sync_portals(self.config.portals)
        try:
            from alerts.subscribers import sync_from_config

            with self.db.transaction() as session:
                sync_from_config(session, self.config)
        except ImportError:  # alerts not installed in this build: crawling still works
            log.warning("alerts.subscribers is not available; subscribers not synchronised")
        for run_id in close_interrupted_runs(self.db, self.locks):
            event(log, "crawl.interrupted_run_closed", logging.WARNING, run_id=run_id)

    def _start_scheduler(self) -> None:
        daemon = self.config.daemon
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self.workers), "deliver": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(daemon.misfire_grace_time)},
            timezone=timezone.utc,
        )
        now = utcnow()
        starts = last_starts(self.db)
        for portal in self.portals:
            schedule = self.schedules[portal.name]
            at, why = first_run(schedule, starts.get(portal.name), now, daemon.jitter, self.rng)
            kwargs: dict[str, Any] = {}
            if at is not None:
                kwargs["next_run_time"] = at.replace(tzinfo=timezone.utc)
            scheduler.add_job(
                "monitor.shell.jobs:scheduled_crawl", trigger=schedule.trigger(daemon.jitter), args=[portal.name],
                id=f"crawl:{portal.name}", name=f"crawl {portal.name}", replace_existing=True, **kwargs,
            )
            event(log, "schedule.planned", portal=portal.name, schedule=portal.schedule or daemon.default_schedule,
                  first_run=(at.isoformat(timespec="seconds") + "Z") if at else "next cron time", why=why)
        scheduler.add_job(
            "monitor.shell.jobs:scheduled_delivery", trigger=IntervalTrigger(seconds=daemon.deliver_interval),
            id="deliver", name="deliver alerts", executor="deliver", replace_existing=True,
            next_run_time=datetime.now(timezone.utc) + timedelta(seconds=min(5.0, daemon.deliver_interval)),
        )
        scheduler.add_listener(
            self._on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )
        scheduler.start()
        self.scheduler = scheduler
        self._publish_next_runs()

    def _on_job_event(self, job_event: JobEvent) -> None:
        if job_event.code == EVENT_JOB_MISSED:
            event(log, "job.missed", logging.WARNING, job=job_event.job_id,
                  scheduled=str(job_event.scheduled_run_time))
        elif job_event.code == EVENT_JOB_MAX_INSTANCES:
            event(log, "job.skipped", job=job_event.job_id, why="the previous run is still going")
        elif job_event.code == EVENT_JOB_ERROR:
            event(log, "job.error", logging.ERROR, job=job_event.job_id,
                  error=f"{type(job_event.exception).__name__}: {job_event.exception}")
        self._republish.set()

    def _shutdown(self) -> None:
        started = time.monotonic()
        event(log, "daemon.stopping", reason=self.stop_reason or "exiting")
        self.stop_event.set()  # crawl children get SIGTERM from their CrawlProcess loops
        if self.scheduler is not None:
            stopper = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}, daemon=True)
            stopper.start()
            stopper.join(timeout=SHUTDOWN_BUDGET)
        try:
            self.locks.unpublish(SCHEDULE_PREFIX, self.holder)
        except Exception:  # noqa: BLE001 — the rows are only a notice board
            log.exception("could not clear the published schedule")
        if self.keeper is not None:
            self.keeper.stop(release=True)
        bind_daemon(None)
        event(log, "daemon.stopped", seconds=round(time.monotonic() - started, 1))

    # --- jobs ------------------------------------------------------------------------------

    def crawl_portal(self, portal: str) -> RunSummary | None:
        """One scheduled crawl: backoff gate, locked child crawl, reports, monitor, delivery."""
        if self.stop_event.is_set():
            return None
        schedule = self.schedules[portal]
        after = self.config.daemon.failure_backoff_after
        failures = consecutive_failures(self.db, portal)
        delay = backoff_delay(schedule, failures, after)
        if delay:
            last = last_starts(self.db).get(portal)
            if last is not None and utcnow() < last + delay:
                self._backoff_until[portal] = last + delay
                event(log, "crawl.skipped", portal=portal, why="backing off", failures=failures,
                      until=(last + delay).isoformat(timespec="seconds") + "Z")
                self._republish.set()
                return None
        self._backoff_until.pop(portal, None)
        started = time.monotonic()
        event(log, "crawl.started", portal=portal, distributed=self.distributed)
        try:
            summary = self._crawl(portal)
        except (PortalBusy, LeaseBusy) as exc:  # LeaseBusy: crawler.distributed's portal lease
            event(log, "crawl.skipped", portal=portal, why=f"portal busy: {exc}")
            return None
        except Exception as exc:  # noqa: BLE001 — one portal's trouble never stops the daemon
            log.exception("crawl of %s could not run", portal)
            event(log, "crawl.error", logging.ERROR, portal=portal, error=f"{type(exc).__name__}: {exc}")
            return None
        event(log, "crawl.finished", logging.INFO if summary.status == "ok" else logging.WARNING,
              portal=portal, run=summary.run_id, status=summary.status, docs_new=summary.docs_new,
              docs_updated=summary.docs_updated, pages=summary.pages_fetched, errors=summary.errors,
              seconds=round(time.monotonic() - started, 1), reason=summary.reason or "")
        self._report(portal, summary, schedule)
        if not self.stop_event.is_set():
            self._monitor_and_deliver(portal)
        self._republish.set()
        return summary

    def _crawl(self, portal: str) -> RunSummary:
        limits = CrawlLimits.from_config(self.config)
        if self.distributed:
            from crawler.distributed import crawl_distributed

            return crawl_distributed(self.db, self.config, portal, time_limit=limits.time_limit,
                                     stop=self.stop_event)
        summaries = crawl_portals_locked(
            self.config_path or self.config, [portal], trigger="schedule", wait=False, limits=limits,
            stop=self.stop_event, db=self.db,
        )
        return summaries[0]

    def _monitor_and_deliver(self, portal: str | None = None) -> None:
        try:
            outcome = monitor_and_deliver(self.db, self.config)
            event(log, "monitor.done", portal=portal or "", **_flat(outcome))
        except Exception as exc:  # noqa: BLE001
            log.exception("monitor/delivery pass failed")
            event(log, "monitor.error", logging.ERROR, error=f"{type(exc).__name__}: {exc}")

    def deliver(self) -> None:
        """The periodic job: delivery retries (and, distributed, the monitor pass)."""
        if self.stop_event.is_set():
            return
        if self.distributed:
            self._monitor_and_deliver()
            return
        try:
            outcome = deliver_once(self.db, self.config)
            if isinstance(outcome, dict) and any(outcome.get(k) for k in ("sent", "failed", "dead")):
                event(log, "deliver.done", **outcome)
        except Exception as exc:  # noqa: BLE001
            log.exception("delivery pass failed")
            event(log, "deliver.error", logging.ERROR, error=f"{type(exc).__name__}: {exc}")

    # --- reports ---------------------------------------------------------------------------

    def _report(self, portal: str, summary: RunSummary, schedule: Schedule) -> None:
        with self.db.transaction() as session:
            row = session.scalar(select(Portal).where(Portal.name == portal))
            if row is None:
                return
            if summary.status == "blocked" and row.blocked_reported_at is None:
                row.blocked_reported_at = utcnow()
                event(log, "portal.blocked", logging.WARNING, portal=portal, reason=summary.reason or "",
                      advice="the portal answers with a challenge page; crawling continues on schedule, "
                             "this is reported once")
            elif summary.status == "ok" and row.blocked_reported_at is not None:
                row.blocked_reported_at = None
                event(log, "portal.unblocked", portal=portal)
        failures = consecutive_failures(self.db, portal)
        after = self.config.daemon.failure_backoff_after
        if failures == after:
            delay = backoff_delay(schedule, failures, after)
            event(log, "portal.failing", logging.WARNING, portal=portal, failures=failures,
                  backoff_seconds=int(delay.total_seconds()), reason=summary.reason or "")

    def _publish_next_runs(self) -> None:
        if self.scheduler is None:
            return
        for portal in self.portals:
            job = self.scheduler.get_job(f"crawl:{portal.name}")
            if job is None or job.next_run_time is None:
                continue
            at = job.next_run_time.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
            held = self._backoff_until.get(portal.name)
            if held is not None and held > at:
                at = held.replace(microsecond=0)
            if self._published.get(portal.name) != at:
                try:
                    self.locks.publish(f"{SCHEDULE_PREFIX}{portal.name}", self.holder, at)
                    self._published[portal.name] = at
                except Exception:  # noqa: BLE001 — status is informative; never fail the daemon
                    log.exception("could not publish the next run of %s", portal.name)


def _flat(outcome: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in outcome.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def _stale_on_this_host(lease: Lease) -> bool:
    """A lease left by a daemon of this host whose process is gone (or whose pid is now ours)."""
    role, _, rest = lease.holder.partition("@")
    host, _, tail = rest.partition(":")
    pid_text = tail.split(":", 1)[0]
    if role != "daemon" or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # a container restart: the old daemon had our pid, so it cannot be running
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _refusal(lease: Lease | None) -> str:
    if lease is None:
        return "another daemon is starting on this database; try again in a few seconds"
    return (
        f"another eduwatch daemon is already running on this database: {lease.holder}, "
        f"started {lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC, lease valid until {lease.expires_at:%H:%M:%S} UTC. "
        f"Stop that one first; if its process is gone, its lease expires by itself within "
        f"{int(DAEMON_LEASE_TTL)} s."
    )


def run_daemon(config: Config, config_path: str | None, *, distributed: bool = False, workers: int = 2,
               db: Database | None = None, on_refused: Callable[[str], None] | None = None) -> int:
    daemon = Daemon(config, config_path, db=db, distributed=distributed, workers=workers)
    try:
        return daemon.run()
    except DaemonRefused as exc:
        event(log, "daemon.refused", logging.ERROR, reason=str(exc))
        if on_refused is not None:
            on_refused(str(exc))
        return 1
