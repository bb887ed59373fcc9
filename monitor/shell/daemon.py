"""``eduwatch daemon``: crawl every portal on its schedule, then turn changes into alerts.

Design, and the traps it avoids:

* **Schedules live in the configuration, history in the database.** Every portal's next slot
  is rebuilt from the config at every start; whether a run was missed while the daemon was
  down is read from ``crawl_runs`` (last start of the portal + its interval in the past → one
  run soon after start). So a restart after a long outage runs each portal *once*, never once
  per missed slot.
* **Due portals are crawled together** (:mod:`monitor.shell.dispatch`): one dispatcher loop,
  not one APScheduler job per portal, gathers the portals falling due within a short window
  into batches of up to ``[crawl] portals_per_process``, ``[crawl] processes`` batches at once
  (``--workers`` overrides that); each batch is one crawl child
  (:func:`crawler.runner.crawl_due`), where every host keeps its politeness and different
  hosts are crawled side by side. A slot that falls due while its portal is still crawling
  becomes one late run, never a queue; a portal that falls behind is logged once
  (``schedule.behind``) and once when it catches up (``schedule.caught_up``). Each run keeps
  the slot it was due for (``crawl_runs.due_at``), which ``status`` turns into lag figures.
* **Jitter** on every start (``daemon.jitter``, at most a tenth of the portal's interval)
  spreads portals so a restart does not fire them all in the same second.
* **One crawl per portal** across processes and machines: the ``crawl:<portal>`` lease
  (:mod:`storage.runs`). A portal found busy (a manual recrawl) is left out of its batch,
  since that crawl does the same work.
* **Isolation**: each batch is a child process with a time and a memory limit
  (:class:`crawler.supervisor.CrawlChild`); a crash or hang becomes failed runs and the daemon
  goes on. After each batch: the monitor pass, then delivery, once; delivery also runs every
  ``deliver_interval`` so retries happen when no crawl runs.
* **One daemon per database**: the ``daemon`` lease (:mod:`monitor.shell.daemon_lease`),
  renewed every 10 s, expires 30 s after a daemon is killed. A second daemon refuses to start
  and says who holds it.
* **Stopping**: SIGTERM/SIGINT stop the dispatcher, send SIGTERM to running crawl children
  (SIGKILL after 10 s), record their runs as failed "stopped by shutdown" and release every
  lease, well within 30 s. Each document is saved in its own transaction, so nothing
  already fetched is lost; the next run refetches what a stopped run had not reached.
* **Failing portals back off** (:mod:`monitor.shell.schedules`: interval doubled per failure beyond
  ``failure_backoff_after``, at most 16x or one day) and are reported once; a blocked
  portal is reported to the operator once (:mod:`monitor.shell.reports`).
* **Bounded over days**: the daemon's state is one slot per portal and one published next-run
  row per portal; finished batch threads are dropped, nothing is kept per run.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import signal
import threading
import time
from datetime import datetime
from typing import Any, Callable

from alerts.subscribers import sync_from_config
from crawler.runner import crawl_due
from crawler.supervisor import CrawlLimits
from eduwatch.config import Config
from monitor.shell.daemon_lease import DaemonRefused, claim_daemon_lease
from monitor.shell.dispatch import Batch, Dispatcher, Notice
from monitor.shell.logging_setup import event
from monitor.shell.pass_runner import PassRunner
from monitor.shell.passes import deliver_once, monitor_and_deliver
from monitor.shell.reports import RevisitsBehind, report_batch
from monitor.shell.schedules import Schedule, backoff_delay, first_run
from storage.database import Database
from storage.locks import DAEMON_LEASE, DAEMON_LEASE_TTL, DISTRIBUTED_NOTICE, SCHEDULE_PREFIX, LeaseKeeper, Locks, make_holder
from storage.models import utcnow
from storage.runs import RunSummary, Runs
from storage.crawl_leases import busy_portals
from storage.store import Store

log = logging.getLogger("eduwatch.daemon")

SHUTDOWN_BUDGET = 25.0  # seconds; systemd's TimeoutStopSec is 30
TICK = 0.5  # seconds between two looks at the schedule
PUBLISH_EVERY = 30.0  # seconds: next-run times are written at least this often (and after each batch)
Clock = Callable[[], datetime]  # naive UTC now; the tests inject their own


class Daemon:
    """The dispatcher, its crawl batches, delivery, and the daemon lease of one ``eduwatch daemon``."""

    def __init__(
        self,
        config: Config,
        config_path: str | None,
        *,
        db: Database | None = None,
        distributed: bool = False,
        workers: int | None = None,
        rng: random.Random | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.db = db or Database(config.database.url)
        self.locks = Locks(self.db)
        self.runs = Runs(self.db)
        self.distributed = distributed
        self.clock = clock
        self.rng = rng or random.Random()
        self.holder = make_holder(DAEMON_LEASE)
        self.stop_event = threading.Event()
        self.stop_reason = ""
        self.portals = [p for p in config.portals if p.enabled]
        self.schedules = {p.name: Schedule.of(p, config) for p in self.portals}
        self.workers = max(1, workers or config.crawl.processes)
        self.dispatcher = Dispatcher(self.schedules, per_child=config.crawl.portals_per_process,
                                     children=self.workers, jitter=config.daemon.jitter, rng=self.rng)
        self.keeper: LeaseKeeper | None = None
        self._finished: queue.Queue[tuple[Batch, dict[str, datetime]]] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._published: dict[str, datetime] = {}  # one entry per portal, never more
        self._behind = RevisitsBehind()  # portals whose revisits fell behind, reported once
        self.passes: PassRunner | None = None  # the running daemon's monitor passes, off the batch threads

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
            self.plan()
            self._start_delivery()
            event(log, "daemon.started", holder=self.holder, portals=len(self.portals), workers=self.workers,
                  portals_per_child=self.dispatcher.per_child, distributed=self.distributed, pid=os.getpid())
            last_publish = time.monotonic()
            while not self.stop_event.wait(TICK):
                if self.step() or time.monotonic() - last_publish > PUBLISH_EVERY:
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
        if self.distributed:  # status reads the workers' queues only when a distributed daemon runs
            self.locks.publish(DISTRIBUTED_NOTICE, self.holder, utcnow())

    def plan(self) -> None:
        """Each portal's first due time: soon if it was never crawled or missed a run while the
        daemon was down, else its interval continues from its last start."""
        now = self.clock()
        starts = self.runs.last_starts()
        reasons: dict[str, int] = {}
        for portal in self.portals:
            at, why = first_run(self.schedules[portal.name], starts.get(portal.name), now,
                                self.config.daemon.jitter, self.rng)
            self.dispatcher.plan(portal.name, at)
            reasons[why] = reasons.get(why, 0) + 1
            log.debug("schedule.planned portal=%s first_run=%sZ why=%s", portal.name, at.isoformat(timespec="seconds"), why)
        event(log, "schedule.planned", portals=len(self.portals),
              **{why.replace(" ", "_"): count for why, count in reasons.items()})
        self._publish_next_runs()

    def _start_delivery(self) -> None:
        thread = threading.Thread(target=self._deliver_loop, name="deliver", daemon=True)
        thread.start()
        self.passes = PassRunner(self._monitor_and_deliver, self.stop_event).start()
        self._threads += [thread, self.passes.thread]

    def _deliver_loop(self) -> None:
        interval = self.config.daemon.deliver_interval
        if not self.stop_event.wait(min(5.0, interval)):
            self.deliver()
            while not self.stop_event.wait(interval):
                self.deliver()

    def _shutdown(self) -> None:
        started = time.monotonic()
        event(log, "daemon.stopping", reason=self.stop_reason or "exiting")
        self.stop_event.set()  # crawl children get SIGTERM from their CrawlChild loops
        for thread in list(self._threads):
            thread.join(timeout=max(0.1, SHUTDOWN_BUDGET - (time.monotonic() - started)))
        try:
            self.locks.unpublish(SCHEDULE_PREFIX, self.holder)
            self.locks.unpublish(DISTRIBUTED_NOTICE, self.holder)
        except Exception:  # noqa: BLE001 — the rows are only a notice board
            log.exception("could not clear the published schedule")
        if self.keeper is not None:
            self.keeper.stop(release=True)
        event(log, "daemon.stopped", seconds=round(time.monotonic() - started, 1))

    # --- the dispatcher's loop -----------------------------------------------------------------

    def step(self) -> bool:
        """One look at the schedule: take back finished batches, start the due ones. True when
        anything moved (the next-run times are worth publishing)."""
        now = self.clock()
        moved = False
        while True:
            try:
                batch, hold = self._finished.get_nowait()
            except queue.Empty:
                break
            self.dispatcher.finished(batch, now, hold)
            moved = True
        batches, notices = self.dispatcher.tick(now)
        for notice in notices:
            self._log_notice(notice)
        for batch in batches:
            self._launch(batch, now)
        return moved or bool(batches)

    def _log_notice(self, notice: Notice) -> None:
        if notice.kind == "behind":
            event(log, "schedule.behind", logging.WARNING, portal=notice.portal, lag_seconds=round(notice.lag),
                  interval_seconds=round(notice.interval), why=notice.why,
                  advice="its schedule cannot be met; reported once, and once when it catches up")
        else:
            event(log, "schedule.caught_up", portal=notice.portal, lag_seconds=round(notice.lag))

    def _launch(self, batch: Batch, now: datetime) -> None:
        """Crawl a batch in a thread of its own (it waits on a child); report back when done."""
        def work() -> None:
            hold: dict[str, datetime] = {}
            try:
                hold = self._run_batch(batch, now)[1]
            finally:
                self._finished.put((batch, hold))

        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=work, name=f"batch-{len(batch.due_at)}", daemon=True)
        self._threads.append(thread)
        thread.start()

    # --- a batch ---------------------------------------------------------------------------------

    def crawl_portal(self, portal: str) -> RunSummary | None:
        """Crawl one portal now, as a batch of one, unless it is backing off (tests use this)."""
        if self.stop_event.is_set() or self._backing_off(portal):
            return None
        now = self.clock()
        summaries, _hold = self._run_batch(Batch({portal: now}), now)
        return summaries[0] if summaries else None

    def _backing_off(self, portal: str) -> bool:
        after = self.config.daemon.failure_backoff_after
        failures = self.runs.consecutive_failures(portal)
        delay = backoff_delay(self.schedules[portal], failures, after)
        last = self.runs.last_starts().get(portal) if delay else None
        if last is None or self.clock() >= last + delay:
            return False
        event(log, "crawl.skipped", portal=portal, why="backing off", failures=failures,
              until=(last + delay).isoformat(timespec="seconds") + "Z")
        return True

    def _run_batch(self, batch: Batch, started: datetime) -> tuple[list[RunSummary], dict[str, datetime]]:
        """Crawl a batch, log each run, report, then one monitor pass and delivery."""
        if self.stop_event.is_set():
            return [], {}
        clock = time.monotonic()
        event(log, "crawl.started", portals=len(batch.due_at), first=next(iter(batch.due_at)),
              distributed=self.distributed)
        try:
            summaries, busy = self._crawl(batch)
        except Exception as exc:  # noqa: BLE001 — one batch's trouble never stops the daemon
            log.exception("a crawl batch could not run")
            event(log, "crawl.error", logging.ERROR, portals=len(batch.due_at), error=f"{type(exc).__name__}: {exc}")
            return [], {}
        for portal in busy:
            event(log, "crawl.skipped", portal=portal, why="portal busy: another process is crawling it")
        seconds = round(time.monotonic() - clock, 1)
        for summary in summaries:
            event(log, "crawl.finished", logging.INFO if summary.status == "ok" else logging.WARNING,
                  portal=summary.portal, run=summary.run_id, status=summary.status, docs_new=summary.docs_new,
                  docs_updated=summary.docs_updated, pages=summary.pages_fetched, errors=summary.errors,
                  seconds=seconds, reason=summary.reason or "")
        hold = report_batch(self.db, summaries, self.schedules, self.config.daemon.failure_backoff_after, started)
        self._behind.after_batch(self.db, [s.portal for s in summaries], self.clock())
        if summaries and not self.stop_event.is_set():
            if self.passes is not None:
                self.passes.ask()  # the running daemon: its pass thread, so the child slot is free now
            else:
                self._monitor_and_deliver()
        return summaries, hold

    def _crawl(self, batch: Batch) -> tuple[list[RunSummary], list[str]]:
        limits = CrawlLimits.from_config(self.config)
        if self.distributed:
            from crawler.distributed import crawl_distributed_batch  # redis, only in distributed mode

            return crawl_distributed_batch(self.db, self.config, batch.due_at, time_limit=limits.time_limit,
                                           stop=self.stop_event)
        return crawl_due(self.config, self._config_path(), batch.due_at, limits=limits, stop=self.stop_event,
                         db=self.db)

    def _config_path(self) -> str | None:
        """The file a crawl child reads the configuration from (None: the built-in default)."""
        if self.config_path:
            return self.config_path
        source = self.config.source
        return None if source.startswith("<") else source

    def _monitor_and_deliver(self) -> None:
        try:
            outcome = monitor_and_deliver(self.db, self.config)
            event(log, "monitor.done", **_flat(outcome))
            if str(outcome.get("monitor", "")).startswith("busy") and self.passes is not None:
                # Someone else's pass (a CLI notify, another host) holds it: the work this crawl
                # stored may be newer than that pass's view, so go again once the holder is done.
                self.passes.ask()
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

    def _publish_next_runs(self) -> None:
        """Write the next-run times that changed (``status`` reads them), in one transaction."""
        changed = {}
        for portal, at in self.dispatcher.next_runs().items():
            at = at.replace(microsecond=0)
            if self._published.get(portal) != at:
                changed[portal] = at
        try:
            self.locks.publish_many({f"{SCHEDULE_PREFIX}{p}": at for p, at in changed.items()}, self.holder)
            self._published.update(changed)
        except Exception:  # noqa: BLE001 — status is informative; never fail the daemon
            log.exception("could not publish the next runs")


def _flat(outcome: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in outcome.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def run_daemon(config: Config, config_path: str | None, *, distributed: bool = False, workers: int | None = None,
               db: Database | None = None, on_refused: Callable[[str], None] | None = None) -> int:
    daemon = Daemon(config, config_path, db=db, distributed=distributed, workers=workers)
    try:
        return daemon.run()
    except DaemonRefused as exc:
        event(log, "daemon.refused", logging.ERROR, reason=str(exc))
        if on_refused is not None:
            on_refused(str(exc))
        return 1
