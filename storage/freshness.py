"""Freshness state in the database: what the revisit policy reads, what a crawl writes back,
and what ``status`` shows.

The policy itself (when a page is due, how often a list is walked to its end) is
:mod:`crawler.freshness`; this module only moves its inputs and outputs, so the policy stays a
pure function of stored facts and a clock — the same answer in every process, after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import bindparam, func, select, update

from storage.database import Database
from storage.models import CrawlRun, Document, Portal, Source

_SOURCES = Source.__table__
_DOCUMENTS = Document.__table__


@dataclass(frozen=True)
class SourceClock:
    """One known page as the revisit policy sees it."""

    url: str
    document_id: int
    first_seen: datetime
    last_verified: datetime | None
    last_changed: datetime | None
    change_count: int = 0
    failed_checks: int = 0
    is_plan: bool = False  # the monitor's classification (Document.is_rural_plan)
    incomplete: bool = False  # stored from its list entry only; retried with backoff
    list_date: str | None = None


@dataclass(frozen=True)
class PortalClock:
    """A portal's deep-walk state; ``baseline_at``: documents first seen by then are its backlog."""

    last_deep_walk: datetime | None = None
    baseline_at: datetime | None = None


@dataclass(frozen=True)
class CheckUpdate:
    """What one check of a known (or newly stored) page leaves behind."""

    url: str
    verified_at: datetime
    changed: bool
    next_check: datetime | None
    deadline: datetime | None
    failed_checks: int = 0
    incomplete: str | None = None  # the reason, or None: the stored document is whole
    first: bool = False  # the page's first check: its first_seen is this check's time


@dataclass(frozen=True)
class PortalFreshness:
    """Per portal, for ``status``: the oldest verification among its known pages (its staleness),
    pages due now and pages past their bound, and its deep walks."""

    portal: str
    known: int
    oldest_verified: datetime | None
    due: int
    overdue: int
    incomplete: int
    last_deep_walk: datetime | None
    next_deep_walk: datetime | None


def source_clocks(db: Database, portal: str) -> tuple[dict[str, SourceClock], PortalClock]:
    """The portal's watched (not withdrawn) pages and its deep-walk state."""
    with db.sessions() as session:
        rows = session.execute(
            select(
                Source.url, Source.document_id, Source.first_seen, Source.last_verified, Source.last_changed,
                Source.change_count, Source.failed_checks, Document.is_rural_plan, Document.incomplete,
                Source.list_date, Source.last_fetched,
            )
            .join(Portal, Source.portal_id == Portal.id)
            .join(Document, Source.document_id == Document.id)
            .where(Portal.name == portal, Source.withdrawn.is_(False))
        ).all()
        state = session.execute(
            select(Portal.last_deep_walk, Portal.baseline_at).where(Portal.name == portal)
        ).first()
    clocks = {
        row.url: SourceClock(
            row.url, row.document_id, row.first_seen,
            # a page stored before freshness existed was last verified when it was last fetched
            row.last_verified or row.last_fetched, row.last_changed, row.change_count or 0,
            row.failed_checks or 0, bool(row.is_rural_plan), bool(row.incomplete), row.list_date,
        )
        for row in rows
    }
    return clocks, PortalClock(*state) if state else PortalClock()


def record_checks(db: Database, updates: Iterable[CheckUpdate]) -> None:
    """Write a batch of checks in one transaction (one executemany per table)."""
    rows = list(updates)
    if not rows:
        return
    with db.engine.begin() as connection:
        ids = dict(connection.execute(
            select(_SOURCES.c.url, _SOURCES.c.id).where(_SOURCES.c.url.in_([r.url for r in rows]))
        ).all())
        documents = dict(connection.execute(
            select(_SOURCES.c.url, _SOURCES.c.document_id).where(_SOURCES.c.url.in_([r.url for r in rows]))
        ).all())
        found = [r for r in rows if r.url in ids]
        if not found:
            return
        connection.execute(
            update(_SOURCES).where(_SOURCES.c.id == bindparam("_id")).values(
                last_verified=bindparam("verified_at"), next_check=bindparam("next_check"),
                check_deadline=bindparam("deadline"), failed_checks=bindparam("failed_checks"),
            ),
            [{"_id": ids[r.url], "verified_at": r.verified_at, "next_check": r.next_check, "deadline": r.deadline,
              "failed_checks": r.failed_checks} for r in found],
        )
        first = [{"_id": ids[r.url], "at": r.verified_at} for r in found if r.first]
        if first:  # the crawl's clock, so "young" is judged on one clock (the same time in production)
            connection.execute(update(_SOURCES).where(_SOURCES.c.id == bindparam("_id")).values(
                first_seen=bindparam("at")), first)
        changed = [{"_id": ids[r.url], "at": r.verified_at} for r in found if r.changed]
        if changed:
            connection.execute(
                update(_SOURCES).where(_SOURCES.c.id == bindparam("_id")).values(
                    last_changed=bindparam("at"), change_count=_SOURCES.c.change_count + 1,
                ),
                changed,
            )
        connection.execute(
            update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("_id")).values(incomplete=bindparam("reason")),
            [{"_id": documents[r.url], "reason": r.incomplete} for r in found],
        )


def record_deep_walk(db: Database, portal: str, at: datetime, next_at: datetime | None, *,
                     finished: datetime | None = None) -> None:
    """Every list of ``portal`` was walked to its end by a run that started at ``at``; the first
    time sets its baseline (the run's end, ``finished``): what it found is the portal's backlog."""
    with db.transaction() as session:
        row = session.scalar(select(Portal).where(Portal.name == portal))
        if row is None:
            return
        row.last_deep_walk, row.next_deep_walk = at, next_at
        if row.baseline_at is None:
            row.baseline_at = finished or at


def portal_freshness(db: Database, now: datetime) -> dict[str, PortalFreshness]:
    """Per portal: staleness (oldest last-verified), due and overdue pages, incomplete documents,
    last and next deep walk — what ``eduwatch status`` and ``portals`` show."""
    verified = func.coalesce(Source.last_verified, Source.last_fetched)
    with db.sessions() as session:
        portals = session.execute(select(Portal.id, Portal.name, Portal.last_deep_walk, Portal.next_deep_walk)).all()
        stats = {
            row.portal_id: row
            for row in session.execute(
                select(
                    Source.portal_id, func.count(Source.id).label("known"), func.min(verified).label("oldest"),
                    func.count(Source.id).filter(Source.next_check <= now).label("due"),
                    func.count(Source.id).filter(Source.check_deadline < now).label("overdue"),
                    func.count(Source.id).filter(Document.incomplete.is_not(None)).label("incomplete"),
                )
                .join(Document, Source.document_id == Document.id)
                .where(Source.withdrawn.is_(False))
                .group_by(Source.portal_id)
            )
        }
    result = {}
    for portal in portals:
        row = stats.get(portal.id)
        result[portal.name] = PortalFreshness(
            portal.name, row.known if row else 0, row.oldest if row else None, row.due if row else 0,
            row.overdue if row else 0, row.incomplete if row else 0, portal.last_deep_walk, portal.next_deep_walk,
        )
    return result



def failed_last_run(db: Database, portal: str) -> set[str]:
    """URLs that were errors in the portal's latest finished run: a page failing again is
    stored from its list entry (incomplete) instead of being retried as new forever."""
    with db.sessions() as session:
        log = session.scalar(
            select(CrawlRun.error_log)
            .join(Portal, CrawlRun.portal_id == Portal.id)
            .where(Portal.name == portal, CrawlRun.status != "running")
            .order_by(CrawlRun.id.desc())
            .limit(1)
        )
    return {entry.get("url", "") for entry in log or [] if isinstance(entry, dict)}
