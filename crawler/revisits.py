"""RunFreshness: one crawl's side of the freshness policy — what it revisits, whether it walks
deep, and the checks it writes back.

The policy (:mod:`crawler.freshness`) is pure; this is the bookkeeping around it for one run of
one portal: it reads the portal's stored clocks once, decides the run's revisits and deep walk
up front (so every process given the same database and clock decides the same), collects
what each check found and writes it in batches.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Sequence

from crawler import clock
from crawler.freshness import (
    FreshnessSettings,
    RevisitPlan,
    after_check,
    deep_walk_due,
    new_page,
    next_deep_walk,
    plan_revisits,
)
from eduwatch.config import Config, PortalConfig, parse_schedule
from storage.database import Database
from storage.runs import Runs
from storage.freshness import CheckUpdate, SourceClock, record_checks, record_deep_walk, source_clocks
from storage.records import DocumentRecord

log = logging.getLogger(__name__)
_DEFAULT_CYCLE = 2 * 3600.0
# config key -> FreshnessSettings field; each may be overridden per portal.
_KEYS = {"revisit_after": "revisit_after", "revisit_plans_after": "revisit_plans_after",
         "deep_walk_after": "deep_walk_after", "revisit_max_per_cycle": "max_per_cycle"}


def freshness_settings(config: Config, portal: PortalConfig) -> FreshnessSettings:
    """The portal's bounds: ``[crawl]`` values, overridden by the portal's own, and its cycle."""
    values: dict[str, Any] = {}
    defaults = FreshnessSettings()
    for key, name in _KEYS.items():
        value = getattr(portal, key, None)
        if value is None:
            value = getattr(config.crawl, key, getattr(defaults, name))
        values[name] = value
    return FreshnessSettings(**values, cycle=crawl_cycle(config, portal))


def crawl_cycle(config: Config, portal: PortalConfig) -> float:
    """Seconds between the portal's scheduled crawls (a cron schedule counts as the default 2 h)."""
    kind, value = parse_schedule(portal.schedule or config.daemon.default_schedule)
    return float(value) if kind == "interval" else _DEFAULT_CYCLE


class RunFreshness:
    """The run's revisits and deep walk, and the checks it has made."""

    def __init__(self, db: Database, portal: str, settings: FreshnessSettings, *, full: bool = False,
                 now: datetime | None = None, planning: bool = True,
                 decided: tuple[frozenset[str], bool] | None = None) -> None:
        """``planning=False``: record checks but choose no revisits and no deep walk.
        ``decided``: (revisits, deep) as another process chose them for this run — a distributed
        run is planned once, by the worker that takes its seed, and every worker follows that."""
        self.db, self.portal, self.settings = db, portal, settings
        planning = planning and decided is None
        self.now = now or clock.now()
        self.pages, portal_clock = source_clocks(db, portal)
        self.baseline = portal_clock.baseline_at
        self.last_deep_walk = portal_clock.last_deep_walk
        self.deep = full or (planning and (deep_walk_due(portal, self.last_deep_walk, self.now, settings)
                                           or self._resumes(db, portal)))
        self.plan = (plan_revisits(self.pages.values(), self.now, settings, self.baseline) if planning and not full
                     else RevisitPlan((), 0, 0))
        self.revisit = frozenset(self.plan.chosen)
        if decided is not None:
            self.revisit, self.deep = decided
        self._pending: list[CheckUpdate] = []
        if self.plan.due:
            log.info("%s: %d known pages due, %d revisited this run, %d deferred%s", portal, self.plan.due,
                     len(self.plan.chosen), self.plan.deferred, "; deep walk" if self.deep else "")

    @staticmethod
    def _resumes(db: Database, portal: str) -> bool:
        """The last run left its walk unfinished: this one walks every list to its end."""
        why = Runs(db).unfinished_walk(portal)
        if why:
            log.info("%s: walking every list to its end (%s)", portal, why)
        return why is not None

    # --- checks ---------------------------------------------------------------------------

    def not_modified(self, url: str) -> None:
        """A conditional revisit answered 304: verified, unchanged."""
        self._check(url, changed=False)
        self.flush()

    def saved(self, records: Sequence[DocumentRecord], outcomes: Sequence[str | None]) -> None:
        """Records the store took (outcome ``new``/``updated``/``unchanged``/``new_source``; None:
        refused): each is a check of its page, changed when its stored content changed."""
        for record, outcome in zip(records, outcomes):
            if outcome is not None:
                self._check(record.url, changed=outcome == "updated", incomplete=record.incomplete,
                            list_date=record.list_date)
        self.flush()

    def failed(self, url: str, reason: str) -> None:
        """A known page that is stored incomplete failed again: back off further."""
        page = self.pages.get(url)
        if page is not None and page.incomplete:
            self._check(url, changed=False, incomplete=reason)
            self.flush()

    def _check(self, url: str, *, changed: bool, incomplete: str | None = None, list_date: str | None = None) -> None:
        page = self.pages.get(url) or new_page(url, 0, self.now, list_date=list_date)
        update = after_check(page, self.now, self.settings, self.baseline, changed=changed, incomplete=incomplete)
        self._pending.append(update)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        record_checks(self.db, pending)

    # --- the end of the run ---------------------------------------------------------------

    def finish(self, *, walked_to_end: bool) -> None:
        """Write what is pending; a run whose every list reached its end is a deep walk."""
        self.flush()
        if walked_to_end:
            record_deep_walk(self.db, self.portal, self.now, next_deep_walk(self.portal, self.now, self.settings),
                             finished=clock.now())


def record_deep_walk_now(db: Database, portal: str, settings: FreshnessSettings) -> None:
    """A run that walked every list to its end (distributed: the run closed ok after a planned deep walk)."""
    at = clock.now()
    record_deep_walk(db, portal, at, next_deep_walk(portal, at, settings), finished=at)


def unrequested_revisits(freshness: RunFreshness, requested: set[str], skip: set[str]) -> list[SourceClock]:
    """The run's chosen revisits that no list page asked for (the walk stopped above them)."""
    return [freshness.pages[url] for url in freshness.plan.chosen if url not in requested and url not in skip]

