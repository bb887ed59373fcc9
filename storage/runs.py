"""Crawl runs: the one place a run is opened, judged and closed.

A *run* is one crawl of one portal (a ``crawl_runs`` row). It is opened before any request is
made (by the process that starts the crawl, so a child that dies can still be accounted
for), closed once with a status from :func:`judge` — the one rulebook, whether the counts
come from a local spider or from a tally shared by distributed workers — and, if nobody
closed it, failed with the reason by whoever supervised it (:meth:`Runs.settle`,
:meth:`Runs.cancel`, :meth:`Runs.fail_interrupted`). Nothing else writes ``CrawlRun`` rows.

The ``crawl:<portal>`` lease that keeps one run of a portal going at a time, across every
process and machine sharing the database, is :mod:`storage.crawl_leases`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Callable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from eduwatch.redact import redact
from storage.database import Database
from storage.models import CrawlRun, Portal, utcnow
from storage.records import FetchError

MAX_LOGGED_ERRORS = 200  # error_log rows kept per run; the count is always exact
TRIGGERS = ("manual", "schedule", "worker", "benchmark")
FAILED_STATUSES = ("failed", "blocked")  # what counts as a failed run for back-off and reports
INTERRUPTED = "interrupted: the process running this crawl stopped before it finished"
STORE_REFUSED = "store refused the document"  # the start of a FetchError's reason for a failed save


@dataclass(frozen=True)
class RunSummary:
    """What a finished run reports to whoever started it (and, as JSON, across processes)."""

    run_id: int
    portal: str
    status: str
    reason: str | None
    pages_fetched: int
    docs_new: int
    docs_updated: int
    errors: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def of(cls, run: CrawlRun, portal: str | None = None) -> "RunSummary":
        return cls(run.id, portal or run.portal.name, run.status, run.reason, run.pages_fetched,
                   run.docs_new, run.docs_updated, run.errors)


# --- the one rulebook --------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOutcome:
    """What a crawl saw of one run, the input of :func:`judge`.

    ``close_reason`` is Scrapy's (``finished``, ``closespider_timeout``, ``shutdown``…);
    ``notes`` are remarks that do not change the status (a list stopped by the page cap).
    """

    pages_fetched: int
    errors: Sequence[FetchError] = ()
    list_failures: int = 0
    blocked: str | None = None  # the challenge's reason
    blocked_url: str = ""
    close_reason: str = "finished"
    time_limit: float | None = None
    memory_limit_mb: int | None = None
    notes: tuple[str, ...] = field(default=())


def judge(outcome: RunOutcome) -> tuple[str, str | None]:
    """The run's status and reason. Blocked beats everything; a run that read no page, or
    missed a list page, vouches for nothing and fails; a run cut short fails with why."""
    status, reason = _status(outcome)
    if outcome.notes and status != "blocked":
        note = "; ".join(outcome.notes)
        reason = f"{reason}; {note}" if reason else note
    return status, reason


def _status(outcome: RunOutcome) -> tuple[str, str | None]:
    if outcome.blocked:
        return "blocked", f"challenge page at {outcome.blocked_url}: {outcome.blocked}"
    errors = outcome.errors
    if outcome.pages_fetched == 0:
        return "failed", f"nothing could be fetched ({errors[0].reason if errors else outcome.close_reason})"
    if outcome.list_failures:
        detail = f": {errors[0].url}: {errors[0].reason}" if errors else ""
        return "failed", f"{outcome.list_failures} list page(s) could not be read{detail}"
    return _early_end(outcome)


def _early_end(outcome: RunOutcome) -> tuple[str, str | None]:
    reason = outcome.close_reason
    if reason == "closespider_timeout":
        return "failed", f"crawl time limit of {outcome.time_limit or 0:g} s reached before the crawl finished"
    if reason == "memusage_exceeded":
        return "failed", f"crawl process exceeded its memory limit of {outcome.memory_limit_mb} MB"
    if reason == "shutdown":
        return "failed", "crawl process was stopped (SIGTERM/SIGINT) before the crawl finished"
    if reason not in ("finished", "blocked"):
        return "failed", f"crawl ended early ({reason})"
    return "ok", None


# --- the rows ----------------------------------------------------------------------------------


class Runs:
    """Open, close, fail and read ``crawl_runs`` rows on one :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def open(self, portal: str, *, full: bool, trigger: str = "manual", due_at: datetime | None = None,
             started_at: datetime | None = None) -> int:
        """A new ``running`` run of a portal already synced into the store; its id.

        ``due_at``: the schedule slot a daemon run was for (naive UTC), so its lag can be shown.
        ``started_at`` (default now): for a run whose start is known better elsewhere (a
        simulated clock, history set up by a benchmark).
        """
        with self.db.transaction() as session:
            portal_id = session.scalar(select(Portal.id).where(Portal.name == portal))
            if portal_id is None:
                raise KeyError(f"portal {portal!r} is not in the database (sync the configuration first)")
            run = CrawlRun(portal_id=portal_id, full=full, trigger=trigger if trigger in TRIGGERS else "manual",
                           due_at=due_at, started_at=started_at or utcnow())
            session.add(run)
            session.flush()
            return run.id

    def close(self, run_id: int, outcome: RunOutcome, *, docs: tuple[int, int] | None = None) -> RunSummary:
        """Close a run with the status :func:`judge` gives ``outcome``.

        ``docs`` (new, updated) replaces the store's counts when the caller counted exactly
        (distributed workers count in Redis, where concurrent increments are never lost).
        """
        status, reason = judge(outcome)
        errors = list(outcome.errors)
        with self.db.transaction() as session:
            run = session.get_one(CrawlRun, run_id)
            run.finished_at = utcnow()
            run.status, run.reason = status, _masked(reason)
            run.pages_fetched = outcome.pages_fetched
            run.errors = len(errors)
            run.error_log = _error_log(errors)
            if docs is not None:
                run.docs_new, run.docs_updated = docs
            return RunSummary.of(run)

    def settle(self, run_id: int, reason: str, *, stopped: bool = False) -> RunSummary:
        """Account for a run its crawler did not close: fail it with ``reason`` if it is still
        running; otherwise keep what the crawler recorded (``stopped``: a shutdown cut it short,
        which a run that did not end ``ok`` says in front of its own reason)."""
        with self.db.transaction() as session:
            run = session.get_one(CrawlRun, run_id)
            if run.status == "running":
                run.status, run.reason, run.finished_at = "failed", _masked(reason), utcnow()
            elif stopped and run.status != "ok":
                run.reason = _masked(f"{reason} ({run.reason})" if run.reason else reason)
            return RunSummary.of(run)

    def cancel(self, run_id: int, why: str, *, pages_fetched: int, errors: Sequence[FetchError] = ()) -> None:
        """Fail a run that is still going (time limit, stall, shutdown, a spider that never
        closed); a closed run is kept. ``errors``: what the crawl had logged by then."""
        with self.db.transaction() as session:
            run = session.get_one(CrawlRun, run_id)
            if run.status == "running":
                run.status, run.reason, run.finished_at = "failed", _masked(why), utcnow()
                run.pages_fetched = pages_fetched
                if errors:
                    run.errors = len(errors)
                    run.error_log = _error_log(errors)

    def fail_interrupted(self, busy_portals: set[str]) -> list[int]:
        """Fail every ``running`` run whose portal nobody is crawling: its process died."""
        return self._fail_running(lambda name: name not in busy_portals)

    def fail_orphans(self, portals: Sequence[str]) -> list[int]:
        """Fail the ``running`` runs of portals whose crawl lease the caller has just taken:
        whoever ran them is gone (every crawl holds its portal's lease while it runs)."""
        wanted = set(portals)
        return self._fail_running(lambda name: name in wanted) if wanted else []

    def _fail_running(self, which: Callable[[str], bool]) -> list[int]:
        closed: list[int] = []
        with self.db.transaction() as session:
            rows = session.execute(
                select(CrawlRun, Portal.name).join(Portal, CrawlRun.portal_id == Portal.id)
                .where(CrawlRun.status == "running")
            ).all()
            for run, name in rows:
                if which(name):
                    run.status, run.reason, run.finished_at = "failed", INTERRUPTED, utcnow()
                    closed.append(run.id)
        return closed

    # --- reading ---------------------------------------------------------------------------

    def summary(self, run_id: int) -> RunSummary:
        with self.db.sessions() as session:
            return RunSummary.of(session.get_one(CrawlRun, run_id))

    def status(self, run_id: int) -> str:
        with self.db.sessions() as session:
            return session.scalar(select(CrawlRun.status).where(CrawlRun.id == run_id)) or "missing"

    def still_running(self, run_ids: Sequence[int]) -> set[int]:
        """Which of ``run_ids`` are still running (one query, for a batch's watcher)."""
        if not run_ids:
            return set()
        with self.db.sessions() as session:
            return set(session.scalars(
                select(CrawlRun.id).where(CrawlRun.id.in_(list(run_ids)), CrawlRun.status == "running")))

    def unfinished_walk(self, portal: str) -> str | None:
        """Why the portal's latest finished run may have left documents of its lists unstored:
        it failed or was stopped (killed, timed out, a list page unreadable) or the store refused
        documents (the database went away). None when it ended cleanly.

        The next run must then walk the lists to their ends: an incremental walk stops at the
        first page it knows, and the documents the broken run never reached sit below it.
        """
        with self.db.sessions() as session:
            run = session.scalars(
                select(CrawlRun).join(Portal, CrawlRun.portal_id == Portal.id)
                .where(Portal.name == portal, CrawlRun.status != "running")
                .order_by(CrawlRun.id.desc()).limit(1)
            ).first()
            if run is None:
                return None
            if run.status != "ok":
                return f"run {run.id} ended {run.status}"
            refused = sum(1 for e in run.error_log or [] if STORE_REFUSED in str(e.get("reason", "")))
            return f"run {run.id}: the store refused {refused} document(s)" if refused else None

    def consecutive_failures(self, portal: str, limit: int = 50) -> int:
        """Finished runs of ``portal`` that failed or were blocked, newest first, until an ok one."""
        with self.db.sessions() as session:
            statuses = session.scalars(
                select(CrawlRun.status).join(Portal, CrawlRun.portal_id == Portal.id)
                .where(Portal.name == portal, CrawlRun.status != "running")
                .order_by(CrawlRun.id.desc()).limit(limit)
            ).all()
        count = 0
        for status in statuses:
            if status not in FAILED_STATUSES:
                break
            count += 1
        return count

    def last_starts(self) -> dict[str, datetime]:
        """Each portal's latest run start (naive UTC)."""
        with self.db.sessions() as session:
            rows = session.execute(
                select(Portal.name, func.max(CrawlRun.started_at)).join(CrawlRun, CrawlRun.portal_id == Portal.id)
                .group_by(Portal.name)
            )
            return {name: started for name, started in rows}

    def last_runs(self) -> dict[str, RunSummary]:
        """Each portal's latest run."""
        return {name: RunSummary.of(run, name) for name, run in self.latest().items()}

    def latest(self, *, finished: bool = False) -> dict[str, CrawlRun]:
        """Each portal's latest run row (``finished``: the latest that is no longer running),
        detached, for views that show more than a summary (start, end, trigger). Read only."""
        with self.db.sessions() as session:
            newest = select(func.max(CrawlRun.id)).group_by(CrawlRun.portal_id)
            if finished:
                newest = newest.where(CrawlRun.status != "running")
            rows = session.execute(
                select(CrawlRun, Portal.name).join(Portal, CrawlRun.portal_id == Portal.id)
                .where(CrawlRun.id.in_(newest))
            ).all()
            return {name: run for run, name in rows}

    def recent_starts(self, per_portal: int = 20) -> dict[str, list[tuple[datetime, datetime]]]:
        """Each portal's latest ``per_portal`` scheduled runs as (due, started), newest first:
        what the lag and on-time share in ``status`` are computed from. One query for all."""
        newest = func.row_number().over(partition_by=CrawlRun.portal_id, order_by=CrawlRun.id.desc()).label("n")
        ranked = (select(CrawlRun.portal_id, CrawlRun.due_at, CrawlRun.started_at, newest)
                  .where(CrawlRun.due_at.is_not(None)).subquery())
        starts: dict[str, list[tuple[datetime, datetime]]] = {}
        with self.db.sessions() as session:
            rows = session.execute(
                select(Portal.name, ranked.c.due_at, ranked.c.started_at).join(ranked, ranked.c.portal_id == Portal.id)
                .where(ranked.c.n <= per_portal).order_by(Portal.name, ranked.c.n)
            )
            for name, due, started in rows:
                starts.setdefault(name, []).append((due, started))
        return starts



def unmonitored_runs(session: Session) -> list[int]:
    """Finished runs whose documents the change pass has not looked at yet."""
    return list(session.scalars(
        select(CrawlRun.id).where(CrawlRun.finished_at.is_not(None), CrawlRun.monitored.is_(False))
    ))


def is_monitored(session: Session, run_id: int) -> bool:
    """Has the change pass looked at this run's documents (a run's digest waits for it)?"""
    return bool(session.scalar(select(CrawlRun.monitored).where(CrawlRun.id == run_id)))


def mark_monitored(session: Session, run_ids: Sequence[int]) -> None:
    """In the change pass's own transaction: these runs' documents have been looked at."""
    if run_ids:
        session.execute(update(CrawlRun).where(CrawlRun.id.in_(list(run_ids))).values(monitored=True))


# --- what saving a batch tells its run (inside the store's own transaction) ------------------------


def count_documents(connection: Connection, run_id: int, *, new: int, updated: int, pages: int = 0) -> None:
    """Add a saved batch's outcomes (and the pages fetched since the last batch) to its run, as
    SQL increments: concurrent savers lose none, and a run killed before it closes still says
    how many pages it fetched beside the documents it stored."""
    if not (new or updated or pages):
        return
    runs = CrawlRun.__table__
    connection.execute(
        update(runs).where(runs.c.id == run_id)
        .values(docs_new=runs.c.docs_new + new, docs_updated=runs.c.docs_updated + updated,
                pages_fetched=runs.c.pages_fetched + pages)
    )


def run_portal(connection: Connection, run_id: int) -> tuple[int, str]:
    """The (id, title) of the portal a run crawls."""
    runs = CrawlRun.__table__
    row = connection.execute(
        select(runs.c.portal_id, Portal.title).join(Portal, Portal.id == runs.c.portal_id).where(runs.c.id == run_id)
    ).one()
    return row.portal_id, row.title


# --- what a run's row may hold ----------------------------------------------------------------
# Reasons and error logs quote URLs, and a portal's URL may carry user:password@ (or a
# key=): every write of them goes through these, so no credential is ever stored.


def _masked(reason: str | None) -> str | None:
    return redact(reason) if reason else reason


def _error_log(errors: Sequence[FetchError]) -> list[dict[str, str]]:
    return [{"url": redact(e.url), "reason": redact(e.reason)} for e in list(errors)[:MAX_LOGGED_ERRORS]]
