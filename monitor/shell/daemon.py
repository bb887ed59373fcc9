"""``eduwatch daemon``: crawl every portal on its schedule, then turn changes into alerts.

Design, and the APScheduler 3.x traps it avoids:

* **Schedules live in the configuration, history in the database.** Jobs sit in APScheduler's
  in-memory store and are rebuilt from the config at every start; whether a run was missed
  while the daemon was down is read from ``crawl_runs`` (last start of the portal + its
  interval in the past → one run soon after start). So a restart after a long outage runs
  each portal *once*, never once per missed slot, and no job store has to be shared with the
  CLI (which APScheduler does not support). Being in memory, the jobs are the daemon's own
  bound methods (:meth:`Daemon.crawl_portal`, :meth:`Daemon.deliver`): nothing has to find
  the daemon through a module global.
* **Jitter** on every start (``daemon.jitter``) spreads portals so a restart does not fire
  them all in the same second; **coalesce** + ``max_instances=1`` + a generous
  ``misfire_grace_time`` (APScheduler's default is one second) make a busy hour delay a run,
  not drop it.
* **One crawl per portal** across processes and machines: the ``crawl:<portal>`` lease
  (:mod:`storage.runs`). A scheduled run that finds its portal busy (a manual recrawl) is
  skipped, since that crawl does the same work.
* **Isolation**: each crawl is a child process with a time and a memory limit
  (:class:`crawler.supervisor.CrawlChild`); a crash or hang becomes a failed run and the daemon
  goes on. After each crawl: the monitor pass, then delivery; delivery also runs every
  ``deliver_interval`` so retries happen when no crawl runs.
* **One daemon per database**: the ``daemon`` lease (:mod:`monitor.shell.daemon_lease`),
  renewed every 10 s, expires 30 s after a daemon is killed. A second daemon refuses to start
  and says who holds it.
* **Stopping**: SIGTERM/SIGINT stop the scheduler, send SIGTERM to running crawl children
  (SIGKILL after 10 s), record their runs as failed "stopped by shutdown" and release every
  lease, well within 30 s. Each document is saved in its own transaction, so nothing
  already fetched is lost; the next run refetches what a stopped run had not reached.
* **Failing portals back off** (:mod:`monitor.shell.schedules`: interval doubled per failure beyond
  ``failure_backoff_after``, at most 16x or one day) and are reported once; a blocked
  portal is reported to the operator once (``portals.blocked_reported_at``), again only
  after it has recovered and been blocked anew.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import threading
import time
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
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from alerts.subscribers import sync_from_config
from crawler.runner import crawl_portals_locked
from crawler.supervisor import CrawlLimits
from eduwatch.config import Config
from monitor.shell.daemon_lease import DaemonRefused, claim_daemon_lease
from monitor.shell.logging_setup import event
from monitor.shell.passes import deliver_once, monitor_and_deliver
from monitor.shell.schedules import Schedule, backoff_delay, first_run
from storage.database import Database
from storage.locks import DAEMON_LEASE, DAEMON_LEASE_TTL, SCHEDULE_PREFIX, LeaseBusy, LeaseKeeper, Locks, make_holder
from storage.models import Portal, utcnow
from storage.runs import RunSummary, Runs, busy_portals
from storage.store import Store

log = logging.getLogger("eduwatch.daemon")

SHUTDOWN_BUDGET = 25.0  # seconds; systemd's TimeoutStopSec is 30


class Daemon:
    """The scheduler, its jobs and the daemon lease of one ``eduwatch daemon`` process."""

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
        self.runs = Runs(self.db)
        self.distributed = distributed
        self.workers = max(1, workers)
        self.rng = rng or random.Random()
        self.holder = make_holder(DAEMON_LEASE)
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
        claim_daemon_lease(self.locks, self.holder)

    def run(self, install_signals: bool = True) -> int:
        """Run until SIGTERM/SIGINT (or :meth:`stop`); returns the process exit code."""
        self.claim()
        self.keeper = LeaseKeeper(self.locks, DAEMON_LEASE, self.holder, DAEMON_LEASE_TTL,
                                  on_lost=lambda _name: self.stop("the daemon lease was lost")).start()
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda signum, _frame: self.stop(signal.Signals(signum).name))
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
        with self.db.transaction() as session:
            sync_from_config(session, self.config)
        for run_id in self.runs.fail_interrupted(busy_portals(self.locks)):
            event(log, "crawl.interrupted_run_closed", logging.WARNING, run_id=run_id)

    def _start_scheduler(self) -> None:
        daemon = self.config.daemon
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self.workers), "deliver": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(daemon.misfire_grace_time)},
            timezone=timezone.utc,
        )
        now = utcnow()
        starts = self.runs.last_starts()
        for portal in self.portals:
            schedule = self.schedules[portal.name]
            at, why = first_run(schedule, starts.get(portal.name), now, daemon.jitter, self.rng)
            kwargs: dict[str, Any] = {}
            if at is not None:
                kwargs["next_run_time"] = at.replace(tzinfo=timezone.utc)
            scheduler.add_job(
                self.crawl_portal, trigger=schedule.trigger(daemon.jitter), args=[portal.name],
                id=f"crawl:{portal.name}", name=f"crawl {portal.name}", replace_existing=True, **kwargs,
            )
            event(log, "schedule.planned", portal=portal.name, schedule=portal.schedule or daemon.default_schedule,
                  first_run=(at.isoformat(timespec="seconds") + "Z") if at else "next cron time", why=why)
        scheduler.add_job(
            self.deliver, trigger=IntervalTrigger(seconds=daemon.deliver_interval),
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
        self.stop_event.set()  # crawl children get SIGTERM from their CrawlChild loops
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
        event(log, "daemon.stopped", seconds=round(time.monotonic() - started, 1))

    # --- jobs ------------------------------------------------------------------------------

    def crawl_portal(self, portal: str) -> RunSummary | None:
        """One scheduled crawl: backoff gate, locked child crawl, reports, monitor, delivery."""
        if self.stop_event.is_set():
            return None
        schedule = self.schedules[portal]
        after = self.config.daemon.failure_backoff_after
        failures = self.runs.consecutive_failures(portal)
        delay = backoff_delay(schedule, failures, after)
        if delay:
            last = self.runs.last_starts().get(portal)
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
        except LeaseBusy as exc:  # the portal's crawl lease (storage.runs.PortalBusy is one)
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
            from crawler.distributed import crawl_distributed  # redis, only in distributed mode

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
        failures = self.runs.consecutive_failures(portal)
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
