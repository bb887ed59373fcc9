"""Freshness policy: when a known page is re-checked, and when a list is walked to its end.

Pure functions of stored facts and an injected ``now``, so every process (and every restart)
reaches the same answer, and the benchmark drives exactly this code on a simulated clock.

Why each rule:

* **Bounds, not hopes.** ``revisit_after`` (plans and young documents: ``revisit_plans_after``)
  is the longest a page goes unchecked. A due page waits for the next crawl cycle, so the
  grid a page is checked on is at most ``bound - cycle`` apart: the gap between two checks,
  cycle wait included, stays within the bound.
* **Spread, not herds.** A page is due on a grid of its interval shifted by a stable phase
  (a hash of its URL, not Python's per-process ``hash``). After a first crawl every page has
  the same last-verified time, yet their next checks are uniformly spread over one interval:
  a cycle re-checks about ``known × cycle / interval`` pages — after the first crawl, after a
  restart, when a portal is added. Deep walks use the same grid with the portal's own phase.
* **Adaptive within the bounds** (after Nutch's AdaptiveFetchSchedule, made stateless): the
  interval is half the time the page has been stable, clamped to ``[lo, hi]``. A page that
  just changed, or just appeared, is re-checked soon; every unchanged check lengthens the
  interval (×~1.5), so a page that never changes drifts to the bound and stays there. Using
  stored times instead of a stored multiplier means a lost write cannot skew it.
* **Young** documents are those first seen in the last 30 days *after* the portal's baseline
  (its first complete deep walk): a portal's backlog, found all at once when it is added, is
  not news and must not cost a daily re-check of every page.
* **A cap per portal and cycle** keeps a cycle's extra requests polite; what does not fit is
  taken next cycle, oldest-overdue first, and counted as deferred (``status`` shows overdue).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from crawler.incremental import list_day
from storage.freshness import CheckUpdate, SourceClock

DAY = 86400.0
YOUNG_DAYS = 30  # documents first seen this recently use revisit_plans_after
STABLE_RATIO = 0.5  # interval = this share of the time a page has been unchanged
SPREAD = 8  # the adaptive range: lo = hi / SPREAD (Nutch's min/max interval)
_EPOCH = datetime(2000, 1, 1)


@dataclass(frozen=True)
class FreshnessSettings:
    """One portal's bounds, in seconds (0 turns a bound off); ``cycle``: its crawl interval."""

    revisit_after: float = 7 * DAY
    revisit_plans_after: float = DAY
    deep_walk_after: float = DAY
    max_per_cycle: int = 100
    cycle: float = 2 * 3600.0


@dataclass(frozen=True)
class RevisitPlan:
    """The revisits one cycle makes: ``chosen`` (oldest-overdue first, at most the cap), how many
    were due, and how many of those wait for a later cycle."""

    chosen: tuple[str, ...]
    due: int
    deferred: int


def phase(key: str) -> float:
    """A stable number in [0, 1) for ``key``: the same in every process, unlike ``hash()``."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def is_young(page: SourceClock, now: datetime, baseline: datetime | None) -> bool:
    """First seen in the last 30 days, and after the portal's backlog was taken in."""
    if baseline is None or page.first_seen <= baseline:
        return False
    return now - page.first_seen < timedelta(days=YOUNG_DAYS)


def bound(page: SourceClock, now: datetime, settings: FreshnessSettings, baseline: datetime | None) -> float | None:
    """The longest this page may go unchecked, in seconds; None: no revisits at all."""
    if (page.is_plan or is_young(page, now, baseline)) and settings.revisit_plans_after > 0:
        return settings.revisit_plans_after
    return settings.revisit_after or None


def ceiling(limit: float, cycle: float) -> float:
    """The grid step that keeps a check within ``limit`` although it waits for the next cycle."""
    return max(limit - cycle, limit / 2)


def interval(page: SourceClock, at: datetime, settings: FreshnessSettings, baseline: datetime | None) -> float | None:
    """Seconds from a check at ``at`` to the next: adaptive in [lo, hi]; backoff when incomplete."""
    limit = bound(page, at, settings, baseline)
    if limit is None:
        return None
    hi = ceiling(limit, settings.cycle)
    if page.incomplete:
        # A page that keeps arriving cut off: one cycle, then doubling, never beyond the bound.
        return min(hi, max(settings.cycle, 60.0) * 2 ** max(page.failed_checks - 1, 0))
    lo = min(hi, max(hi / SPREAD, settings.cycle))
    stable_for = (at - _stable_since(page, at, baseline)).total_seconds()
    return min(hi, max(lo, STABLE_RATIO * stable_for))


def _stable_since(page: SourceClock, at: datetime, baseline: datetime | None) -> datetime:
    """Since when the page is known unchanged: its last change, else its first sighting — or,
    for the backlog, its list date (a notice from 2019 is not about to change)."""
    if page.last_changed is not None:
        return page.last_changed
    if is_young(page, at, baseline) or baseline is None:
        return page.first_seen
    listed = list_day(page.list_date)
    return min(page.first_seen, datetime(listed.year, listed.month, listed.day)) if listed else page.first_seen


def grid_after(after: datetime, step: float, key: str) -> datetime:
    """The first point of ``key``'s grid (step ``step``, shifted by its phase) strictly after ``after``."""
    offset = phase(key) * step
    elapsed = (after - _EPOCH).total_seconds() - offset
    k = math.floor(elapsed / step) + 1
    return _EPOCH + timedelta(seconds=k * step + offset)


def next_check(page: SourceClock, settings: FreshnessSettings, baseline: datetime | None) -> datetime | None:
    """When this page is next due (None: never; a page never verified is due at once)."""
    if page.last_verified is None:
        return page.first_seen
    step = interval(page, page.last_verified, settings, baseline)
    return None if step is None else grid_after(page.last_verified, step, page.url)


def plan_revisits(pages: Iterable[SourceClock], now: datetime, settings: FreshnessSettings,
                  baseline: datetime | None) -> RevisitPlan:
    """The pages due by ``now``, oldest-due first, cut at the portal's cap."""
    due = sorted(
        (when, page.url) for page in pages
        if (when := next_check(page, settings, baseline)) is not None and when <= now
    )
    cap = max(settings.max_per_cycle, 0)
    chosen = tuple(url for _when, url in due[:cap])
    return RevisitPlan(chosen, len(due), len(due) - len(chosen))


def after_check(page: SourceClock, at: datetime, settings: FreshnessSettings, baseline: datetime | None, *,
                changed: bool, incomplete: str | None = None) -> CheckUpdate:
    """What a check at ``at`` leaves: the page verified (changed or not), its next check and deadline.

    ``incomplete``: the page is stored from its list entry only, for this reason; the next try
    backs off. A complete page resets the backoff.
    """
    failed = page.failed_checks + 1 if incomplete else 0
    checked = SourceClock(
        page.url, page.document_id, page.first_seen, at, at if changed else page.last_changed,
        page.change_count + int(changed), failed, page.is_plan, bool(incomplete), page.list_date,
    )
    limit = bound(checked, at, settings, baseline)
    deadline = at + timedelta(seconds=limit) if limit else None
    return CheckUpdate(page.url, at, changed, next_check(checked, settings, baseline), deadline, failed, incomplete,
                       first=page.last_verified is None)


def new_page(url: str, document_id: int, at: datetime, *, list_date: str | None = None) -> SourceClock:
    """A page stored for the first time at ``at`` (its clock before the first check is written)."""
    return SourceClock(url, document_id, at, None, None, list_date=list_date)


def next_deep_walk(portal: str, last: datetime | None, settings: FreshnessSettings) -> datetime | None:
    """When ``portal``'s lists are next walked to their end (None: deep walks are off)."""
    if settings.deep_walk_after <= 0:
        return None
    if last is None:
        return _EPOCH
    return grid_after(last, ceiling(settings.deep_walk_after, settings.cycle), "deep-walk:" + portal)


def deep_walk_due(portal: str, last: datetime | None, now: datetime, settings: FreshnessSettings) -> bool:
    when = next_deep_walk(portal, last, settings)
    return when is not None and when <= now

