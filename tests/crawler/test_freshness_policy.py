"""The revisit policy on a simulated clock: spread (no herds), bounds, adaptivity, the cap, deep walks."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta

from crawler.freshness import (
    DAY,
    FreshnessSettings,
    after_check,
    deep_walk_due,
    interval,
    next_check,
    next_deep_walk,
    phase,
    plan_revisits,
)
from storage.freshness import SourceClock

T0 = datetime(2026, 1, 1, 8, 0)
HOUR = timedelta(hours=1)
SETTINGS = FreshnessSettings(revisit_after=7 * DAY, revisit_plans_after=DAY, deep_walk_after=DAY,
                             max_per_cycle=1000, cycle=2 * 3600)


def _page(n: int, **fields: object) -> SourceClock:
    values: dict = dict(url=f"http://portal.example/doc/{n}.html", document_id=n, first_seen=T0,
                        last_verified=T0, last_changed=None, list_date="2020-05-01")
    values.update(fields)
    return SourceClock(**values)  # type: ignore[arg-type]


def _checked(page: SourceClock, at: datetime, *, changed: bool = False, baseline: datetime | None = T0) -> SourceClock:
    update = after_check(page, at, SETTINGS, baseline, changed=changed)
    return SourceClock(page.url, page.document_id, page.first_seen, update.verified_at,
                       at if changed else page.last_changed, page.change_count + changed, 0, page.is_plan,
                       False, page.list_date)


def _simulate(pages: list[SourceClock], cycles: int, *, baseline: datetime | None = T0) -> list[int]:
    """Requests per cycle when every due page is checked (unchanged) at each 2-hour cycle."""
    per_cycle = []
    for n in range(1, cycles + 1):
        now = T0 + n * 2 * HOUR
        plan = plan_revisits(pages, now, SETTINGS, baseline)
        chosen = set(plan.chosen)
        per_cycle.append(len(chosen))
        pages = [_checked(p, now, baseline=baseline) if p.url in chosen else p for p in pages]
    return per_cycle


def test_no_herd_after_a_first_crawl_a_week_later_either() -> None:
    pages = [_page(n) for n in range(2000)]  # all verified at T0 by the first crawl
    per_cycle = _simulate(pages, 14 * 12)  # two weeks of 2-hour cycles
    expected = 2000 * 2 / (7 * 24 - 2)  # known × cycle / grid step
    week_two = per_cycle[84:]
    assert max(per_cycle) <= 2.5 * expected, max(per_cycle)
    assert abs(sum(week_two) / len(week_two) - expected) <= 0.25 * expected
    assert per_cycle[0] <= 2.5 * expected  # not everything right after the first crawl


def test_every_page_is_checked_within_its_bound() -> None:
    pages = [_page(n) for n in range(300)]
    last = {p.url: T0 for p in pages}
    worst = timedelta(0)
    for n in range(1, 14 * 12 + 1):
        now = T0 + n * 2 * HOUR
        plan = plan_revisits(pages, now, SETTINGS, T0)
        for url in plan.chosen:
            worst = max(worst, now - last[url])
            last[url] = now
        pages = [_checked(p, now) if p.url in plan.chosen else p for p in pages]
    end = T0 + 14 * 12 * 2 * HOUR
    worst = max([worst] + [end - at for at in last.values()])
    assert worst <= timedelta(days=7)


def test_a_changed_page_comes_back_sooner_and_drifts_to_the_bound() -> None:
    page = _page(1, first_seen=T0 - timedelta(days=400), last_verified=T0)
    assert interval(page, T0, SETTINGS, T0) == 7 * DAY - 2 * 3600  # stable for years: the bound's grid
    changed = _checked(page, T0, changed=True)
    steps = []
    at = T0
    for _ in range(12):
        step = interval(changed, at, SETTINGS, T0)
        assert step is not None
        steps.append(step)
        at = next_check(changed, SETTINGS, T0) or at
        changed = _checked(changed, at)
    assert steps[0] < DAY  # soon after a change
    assert steps == sorted(steps) and steps[-1] == 7 * DAY - 2 * 3600  # never beyond the bound


def test_plans_and_young_documents_use_the_plans_bound() -> None:
    plan = _page(1, is_plan=True)
    young = _page(2, first_seen=T0 + HOUR, last_verified=T0 + HOUR)
    backlog = _page(3)
    for page in (plan, young):
        assert (next_check(page, SETTINGS, T0) - page.last_verified) <= timedelta(days=1)  # type: ignore[operator]
    assert (next_check(backlog, SETTINGS, T0) - T0) > timedelta(days=1) or phase(backlog.url) < 1 / 7  # type: ignore[operator]
    old = _page(4, first_seen=T0 + HOUR, last_verified=T0 + timedelta(days=40))
    assert interval(old, T0 + timedelta(days=40), SETTINGS, T0) > DAY  # 40 days on: no longer young


def test_the_cap_takes_the_oldest_due_first_and_defers_the_rest() -> None:
    pages = [_page(n, last_verified=T0 - timedelta(days=8 + n % 5)) for n in range(50)]
    plan = plan_revisits(pages, T0, FreshnessSettings(max_per_cycle=10), T0)
    assert (len(plan.chosen), plan.due, plan.deferred) == (10, 50, 40)
    by_url = {p.url: p for p in pages}
    dues = [next_check(by_url[u], FreshnessSettings(max_per_cycle=10), T0) for u in plan.chosen]
    rest = [next_check(p, FreshnessSettings(), T0) for p in pages if p.url not in plan.chosen]
    assert max(dues) <= min(rest)  # type: ignore[type-var]


def test_zero_turns_revisits_off() -> None:
    pages = [_page(n, last_verified=T0 - timedelta(days=30)) for n in range(10)]
    off = FreshnessSettings(revisit_after=0, revisit_plans_after=0)
    assert plan_revisits(pages, T0, off, T0).chosen == ()
    assert not deep_walk_due("p", T0 - timedelta(days=9), T0, FreshnessSettings(deep_walk_after=0))


def test_incomplete_pages_back_off() -> None:
    page = _page(1, incomplete=True, failed_checks=1)
    steps = [interval(SourceClock(**{**page.__dict__, "failed_checks": n}), T0, SETTINGS, T0) for n in (1, 2, 3, 4)]
    assert steps == [2 * 3600, 4 * 3600, 8 * 3600, 16 * 3600]


def test_deep_walks_are_spread_over_portals_and_bounded() -> None:
    last = T0
    counts = Counter()
    for n in range(400):
        when = next_deep_walk(f"portal{n}", last, SETTINGS)
        assert when is not None and last < when <= last + timedelta(days=1)
        counts[int((when - last).total_seconds() // (2 * 3600))] += 1
    assert max(counts.values()) <= 2 * 400 / 11  # about a twelfth of the portals per 2-hour cycle
    assert deep_walk_due("portal1", None, T0, SETTINGS)  # never walked to its end: due


def test_phases_are_stable_across_processes() -> None:
    urls = [f"http://portal.example/doc/{n}.html" for n in range(5)]
    code = "import sys; from crawler.freshness import phase; print([phase(u) for u in sys.argv[1:]])"
    out = subprocess.run([sys.executable, "-c", code, *urls], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str([phase(u) for u in urls])
