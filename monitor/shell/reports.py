"""What the daemon tells the operator after a batch of runs: blocked portals (once), failing
portals (once, when they start backing off), and the back-off that holds a failing portal back.

Done per batch, not per run: a batch of hundreds of healthy portals costs one query, and only a
failed run asks the database how many failures in a row its portal has.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Mapping, Sequence

from sqlalchemy import select

from monitor.shell.logging_setup import event
from monitor.shell.schedules import Schedule, backoff_delay
from storage.database import Database
from storage.freshness import portal_freshness
from storage.models import Portal, utcnow
from storage.runs import FAILED_STATUSES, RunSummary, Runs

log = logging.getLogger("eduwatch.daemon")


def report_batch(db: Database, summaries: Sequence[RunSummary], schedules: Mapping[str, Schedule],
                 failure_backoff_after: int, started: datetime) -> dict[str, datetime]:
    """Log what a batch's runs mean for their portals; returns {portal: not before} for the
    failing portals that back off (their next run is pushed to ``started`` + back-off)."""
    _report_blocked(db, summaries)
    runs = Runs(db)
    hold: dict[str, datetime] = {}
    for summary in summaries:
        if summary.status not in FAILED_STATUSES or summary.portal not in schedules:
            continue
        failures = runs.consecutive_failures(summary.portal)
        delay = backoff_delay(schedules[summary.portal], failures, failure_backoff_after)
        if delay:
            hold[summary.portal] = started + delay
        if failures == failure_backoff_after:
            event(log, "portal.failing", logging.WARNING, portal=summary.portal, failures=failures,
                  backoff_seconds=int(delay.total_seconds()), reason=summary.reason or "")
    return hold


def _report_blocked(db: Database, summaries: Sequence[RunSummary]) -> None:
    """``portal.blocked`` once per block (``portals.blocked_reported_at``); ``portal.unblocked``
    when an ok run ends it, so a later block is reported again."""
    blocked = {s.portal: s for s in summaries if s.status == "blocked"}
    ok = [s.portal for s in summaries if s.status == "ok"]
    if not blocked and not ok:
        return
    with db.transaction() as session:
        rows = session.scalars(select(Portal).where(
            Portal.name.in_(list(blocked)) | (Portal.name.in_(ok) & Portal.blocked_reported_at.is_not(None))))
        for row in rows:
            if row.name in blocked and row.blocked_reported_at is None:
                row.blocked_reported_at = utcnow()
                event(log, "portal.blocked", logging.WARNING, portal=row.name, reason=blocked[row.name].reason or "",
                      advice="the portal answers with a challenge page; crawling continues on schedule, "
                             "this is reported once")
            elif row.name not in blocked and row.blocked_reported_at is not None:
                row.blocked_reported_at = None
                event(log, "portal.unblocked", portal=row.name)


class RevisitsBehind:
    """``portal.revisits_behind`` once when a portal's revisits stop keeping up with its bounds
    (documents past their bound), ``portal.revisits_caught_up`` once when they do again — the
    way a failing portal is reported, not on every batch (issue 11)."""

    def __init__(self) -> None:
        self.behind: set[str] = set()  # reported and not caught up (per daemon: a restart reports again)

    def after_batch(self, db: Database, portals: Sequence[str], now: datetime) -> None:
        figures = portal_freshness(db, now)
        for portal in portals:
            fresh = figures.get(portal)
            overdue = fresh.overdue if fresh is not None else 0
            if overdue and portal not in self.behind:
                self.behind.add(portal)
                event(log, "portal.revisits_behind", logging.WARNING, portal=portal, overdue=overdue,
                      advice="documents are past their revisit bound: raise revisit_max_per_cycle, "
                             "crawl more often, or lengthen revisit_after")
            elif not overdue and portal in self.behind:
                self.behind.discard(portal)
                event(log, "portal.revisits_caught_up", portal=portal)
