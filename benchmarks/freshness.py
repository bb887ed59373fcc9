"""Freshness: are changes the lists never show seen within their bound, and at what cost?

A simulation in memory, on a simulated clock: portals are lists of documents (20 per list
page, newest first), crawled every 2 hours for 14 days, with scripted changes — new documents
on top, back-dated documents deep in the list, revisions and abolitions on detail pages only,
withdrawals from page 2 onwards. eduwatch's strategy drives the SAME policy code the crawler
runs (:func:`crawler.freshness.plan_revisits`, :func:`~crawler.freshness.after_check`,
:func:`~crawler.freshness.deep_walk_due`); three baselines meet the same script:

* list-only — today's default before freshness: list pages until nothing new, new documents only;
* refetch-everything — every list page and every known page, every cycle (changedetection.io/urlwatch);
* Nutch-style adaptive — every page (lists too) on its own interval, ×1.4 when unchanged, ×0.8
  when changed, within [one cycle, revisit_after], without list signals and without phases.

Bounds per change: a revision or abolition — the page's revisit bound (``revisit_after``;
``revisit_plans_after`` for plans and young documents); a back-dated document —
``deep_walk_after``; a new document on top — one cycle; a withdrawal — two consecutive checks
after lists walked to their end, so ``2 × deep_walk_after``. Only changes whose bound ends
inside the simulated window are scored. Requests per cycle leave out the first crawl (every
strategy fetches everything once).
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from benchmarks.report import Report, at_least, at_most
from crawler.freshness import FreshnessSettings, after_check, deep_walk_due, next_check, plan_revisits
from storage.freshness import SourceClock

PAGE = 20
CYCLE = timedelta(hours=2)
T0 = datetime(2026, 1, 5, 0, 0)


@dataclass
class Doc:
    url: str
    key: float  # list order: larger is newer
    plan: bool = False
    version: int = 0
    gone: bool = False


@dataclass
class Change:
    portal: int
    kind: str  # new | backdated | revised | abolished | withdrawn
    at: datetime
    url: str
    bound: timedelta
    found: datetime | None = None


@dataclass
class Portal:
    name: str
    docs: dict[str, Doc] = field(default_factory=dict)
    listed: list[str] = field(default_factory=list)  # newest first

    def relist(self) -> None:
        live = [d for d in self.docs.values() if not d.gone]
        self.listed = [d.url for d in sorted(live, key=lambda d: d.key, reverse=True)]

    def pages(self) -> int:
        return max(1, math.ceil(len(self.listed) / PAGE))


def build(portals: int, docs: int, days: int, seed: int, settings: FreshnessSettings
          ) -> tuple[list[Portal], list[Change]]:
    """The portals at T0 and the scripted changes (sorted by time)."""
    rng = random.Random(seed)
    world, changes = [], []
    end = T0 + timedelta(days=days)
    for p in range(portals):
        portal = Portal(f"portal{p:03d}")
        for n in range(docs):
            url = f"http://p{p}.example.gov.cn/art/{n}.html"
            portal.docs[url] = Doc(url, float(n), plan=rng.random() < 0.05)
        portal.relist()
        world.append(portal)
        initial = list(portal.docs)

        def at() -> datetime:
            return T0 + timedelta(seconds=rng.uniform(3600, (end - T0).total_seconds()))

        for n in range(days):  # about one new document a day on top of the list
            changes.append(Change(p, "new", at(), f"http://p{p}.example.gov.cn/new/{n}.html", CYCLE))
        for n in range(max(1, days // 7)):  # back-dated, deep in the list
            changes.append(Change(p, "backdated", at(), f"http://p{p}.example.gov.cn/late/{n}.html",
                                  timedelta(seconds=settings.deep_walk_after)))
        targets = iter(rng.sample(initial[: docs - 2 * PAGE], 10))  # pages 3+, each changed once
        for kind, count in (("revised", 6), ("abolished", 2), ("withdrawn", 2)):
            for url in (next(targets) for _ in range(count)):
                doc = portal.docs[url]
                bound = settings.revisit_plans_after if doc.plan else settings.revisit_after
                if kind == "withdrawn":
                    bound = 2 * settings.deep_walk_after
                changes.append(Change(p, kind, at(), url, timedelta(seconds=bound)))
    changes.sort(key=lambda c: c.at)
    return world, changes


def apply(change: Change, portal: Portal, rng: random.Random) -> None:
    """The change happens on the portal."""
    if change.kind == "new":
        top = max(d.key for d in portal.docs.values()) + 1
        portal.docs[change.url] = Doc(change.url, top)
    elif change.kind == "backdated":
        keys = sorted(d.key for d in portal.docs.values() if not d.gone)
        below = keys[max(0, len(keys) - 3 * PAGE - rng.randrange(len(keys) // 2))]
        portal.docs[change.url] = Doc(change.url, below - 0.5)
    elif change.kind in ("revised", "abolished"):
        portal.docs[change.url].version += 1
    elif change.kind == "withdrawn":
        portal.docs[change.url].gone = True
    portal.relist()


class Strategy:
    """One way of crawling every portal each cycle; ``cycle`` returns its requests and reports
    what it noticed through ``found(portal, url, kinds, now)``."""

    name = ""

    def __init__(self, world: list[Portal], settings: FreshnessSettings) -> None:
        self.settings = settings
        self.known: list[dict[str, int]] = [{url: 0 for url in p.listed} for p in world]  # url -> version seen
        self.missing: list[dict[str, int]] = [{} for _ in world]

    def cycle(self, index: int, portal: Portal, now: datetime, found) -> int:  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def walk(self, index: int, portal: Portal, deep: bool) -> tuple[int, list[str]]:
        """List pages requested and the entries they showed (incremental: until a page's last entry is known)."""
        if deep:
            return portal.pages(), list(portal.listed)
        shown: list[str] = []
        for page in range(portal.pages()):
            entries = portal.listed[page * PAGE:(page + 1) * PAGE]
            shown += entries
            if not entries or entries[-1] in self.known[index]:
                return page + 1, shown
        return portal.pages(), shown

    def probe(self, index: int, portal: Portal, url: str, now: datetime, found) -> None:  # type: ignore[no-untyped-def]
        doc = portal.docs[url]
        if doc.gone:
            self.missing[index][url] = self.missing[index].get(url, 0) + 1
            if self.missing[index][url] >= 2:
                found(index, url, ("withdrawn",), now)
                self.known[index].pop(url, None)
        else:
            self.missing[index].pop(url, None)

    def fetch_new(self, index: int, portal: Portal, shown: list[str], now: datetime, found) -> int:  # type: ignore[no-untyped-def]
        new = [url for url in shown if url not in self.known[index]]
        for url in new:
            self.known[index][url] = portal.docs[url].version
            found(index, url, ("new", "backdated"), now)
        return len(new)

    def covered_missing(self, index: int, portal: Portal, shown: list[str], deep: bool) -> list[str]:
        """Known pages missing from the walked range (the crawler's probe candidates)."""
        seen = set(shown)
        if deep:
            return [u for u in self.known[index] if u not in seen]
        if not shown:
            return []
        oldest = min(portal.docs[u].key for u in shown)
        return [u for u in self.known[index] if u not in seen and portal.docs[u].key >= oldest]


class ListOnly(Strategy):
    name = "list-only (today)"

    def cycle(self, index, portal, now, found):  # type: ignore[no-untyped-def]
        pages, shown = self.walk(index, portal, deep=False)
        probes = self.covered_missing(index, portal, shown, deep=False)
        for url in probes:
            self.probe(index, portal, url, now, found)
        return pages + self.fetch_new(index, portal, shown, now, found) + len(probes)


class RefetchAll(Strategy):
    name = "refetch-everything"

    def cycle(self, index, portal, now, found):  # type: ignore[no-untyped-def]
        pages, shown = self.walk(index, portal, deep=True)
        requests = pages + self.fetch_new(index, portal, shown, now, found)
        for url in list(self.known[index]):
            requests += 1
            doc = portal.docs[url]
            if doc.gone:
                self.probe(index, portal, url, now, found)
            elif doc.version != self.known[index][url]:
                self.known[index][url] = doc.version
                found(index, url, ("revised", "abolished"), now)
        return requests


class NutchAdaptive(Strategy):
    """Every page on its own adaptive interval, lists included; no list signals, no phases."""

    name = "Nutch-style adaptive"
    INC, DEC = 0.4, 0.2

    def __init__(self, world: list[Portal], settings: FreshnessSettings) -> None:
        super().__init__(world, settings)
        hi = settings.revisit_after
        self.lo, self.hi = CYCLE.total_seconds(), hi
        # (due, url) heaps; interval per url; list pages as "list:<n>" with their last contents
        self.queue: list[list[tuple[datetime, str]]] = []
        self.interval: list[dict[str, float]] = []
        self.snapshot: list[dict[str, tuple[str, ...]]] = []
        for portal in world:
            entries = {f"list:{n}": hi for n in range(portal.pages())} | {u: hi for u in portal.listed}
            self.interval.append(entries)
            self.queue.append([(T0 + timedelta(seconds=hi), url) for url in entries])
            heapq.heapify(self.queue[-1])
            self.snapshot.append({f"list:{n}": tuple(portal.listed[n * PAGE:(n + 1) * PAGE])
                                  for n in range(portal.pages())})

    def cycle(self, index, portal, now, found):  # type: ignore[no-untyped-def]
        queue, intervals, requests = self.queue[index], self.interval[index], 0
        for n in range(portal.pages()):  # list pages that appeared since (a longer list)
            if f"list:{n}" not in intervals:
                intervals[f"list:{n}"] = self.lo
                heapq.heappush(queue, (now, f"list:{n}"))
        while queue and queue[0][0] <= now:
            _due, url = heapq.heappop(queue)
            if url not in intervals:
                continue
            requests += 1
            changed = self.fetch(index, portal, url, now, found)
            if url not in intervals:
                continue  # gone
            step = intervals[url] * ((1 - self.DEC) if changed else (1 + self.INC))
            intervals[url] = min(self.hi, max(self.lo, step))
            heapq.heappush(queue, (now + timedelta(seconds=intervals[url]), url))
        return requests

    def fetch(self, index, portal, url, now, found) -> bool:  # type: ignore[no-untyped-def]
        if url.startswith("list:"):
            n = int(url[5:])
            entries = tuple(portal.listed[n * PAGE:(n + 1) * PAGE])
            changed = entries != self.snapshot[index].get(url)
            self.snapshot[index][url] = entries
            for new in self.fetch_new(index, portal, list(entries), now, found):
                self.interval[index][new] = self.lo
                heapq.heappush(self.queue[index], (now + CYCLE, new))
            return changed
        doc = portal.docs[url]
        if doc.gone:
            self.probe(index, portal, url, now, found)
            if url not in self.known[index]:
                self.interval[index].pop(url, None)
            return True
        changed = doc.version != self.known[index].get(url)
        if changed:
            self.known[index][url] = doc.version
            found(index, url, ("revised", "abolished"), now)
        return changed

    def fetch_new(self, index, portal, shown, now, found):  # type: ignore[no-untyped-def]
        new = [url for url in shown if url not in self.known[index]]
        for url in new:
            self.known[index][url] = portal.docs[url].version
            found(index, url, ("new", "backdated"), now)
        return new


class Eduwatch(Strategy):
    """List walks, deep walks on their phase, and revisits chosen by crawler.freshness."""

    name = "eduwatch freshness"

    def __init__(self, world: list[Portal], settings: FreshnessSettings) -> None:
        super().__init__(world, settings)
        self.baseline = T0  # the first crawl walked every list to its end
        self.last_deep = [T0 for _ in world]
        self.clocks: list[dict[str, SourceClock]] = []
        self.queue: list[list[tuple[datetime, str]]] = []
        self.when: list[dict[str, datetime]] = []  # url -> its live heap entry's time
        for portal in world:
            self.when.append({})
            clocks = {u: SourceClock(u, 0, T0, T0, None, is_plan=portal.docs[u].plan, list_date="2020-01-01")
                      for u in portal.listed}
            self.clocks.append(clocks)
            self.queue.append([])
            for clock in clocks.values():
                self.schedule(len(self.clocks) - 1, clock)

    def schedule(self, index: int, clock: SourceClock, when: datetime | None = None) -> None:
        when = when or next_check(clock, self.settings, self.baseline)
        if when is not None:
            self.when[index][clock.url] = when
            heapq.heappush(self.queue[index], (when, clock.url))

    def check(self, index: int, url: str, now: datetime, *, changed: bool) -> None:
        old = self.clocks[index].get(url) or SourceClock(url, 0, now, None, None)
        update = after_check(old, now, self.settings, self.baseline, changed=changed)
        clock = SourceClock(url, 0, old.first_seen if old.last_verified else now, now,
                            now if changed else old.last_changed, old.change_count + changed, 0, old.is_plan,
                            False, old.list_date)
        self.clocks[index][url] = clock
        self.schedule(index, clock, update.next_check)

    def cycle(self, index, portal, now, found):  # type: ignore[no-untyped-def]
        deep = deep_walk_due(portal.name, self.last_deep[index], now, self.settings)
        pages, shown = self.walk(index, portal, deep)
        new = [url for url in shown if url not in self.known[index]]
        requests = pages + self.fetch_new(index, portal, shown, now, found)
        for url in new:
            self.check(index, url, now, changed=False)
        # Due pages: the heap's head (stale entries are skipped), handed to the policy's planner.
        queue, due = self.queue[index], {}
        while queue and queue[0][0] <= now:
            when, url = heapq.heappop(queue)
            clock = self.clocks[index].get(url)
            if clock is not None and url in self.known[index] and self.when[index].get(url) == when:
                due[url] = clock
        plan = plan_revisits(due.values(), now, self.settings, self.baseline)
        for url in plan.chosen:
            requests += 1
            doc = portal.docs[url]
            if doc.gone:
                self.schedule(index, due[url], now + CYCLE)  # a 404 on a revisit waits for the probes
                continue
            changed = doc.version != self.known[index][url]
            if changed:
                self.known[index][url] = doc.version
                found(index, url, ("revised", "abolished"), now)
            self.check(index, url, now, changed=changed)
        for url in set(due) - set(plan.chosen):  # deferred: next cycle, oldest first
            heapq.heappush(queue, (self.when[index][url], url))
        probes = self.covered_missing(index, portal, shown, deep)
        for url in probes:
            self.probe(index, portal, url, now, found)
            if url not in self.known[index]:
                self.clocks[index].pop(url, None)
        if deep:
            self.last_deep[index] = now
        return requests + len(probes)


def simulate(strategy_cls: type[Strategy], portals: int, docs: int, days: int, settings: FreshnessSettings,
             seed: int = 11) -> tuple[list[Change], list[int]]:
    world, changes = build(portals, docs, days, seed, settings)
    rng = random.Random(seed + 1)
    strategy = strategy_cls(world, settings)
    by_url = {(c.portal, c.url): c for c in changes}

    def found(index: int, url: str, kinds: tuple[str, ...], now: datetime) -> None:
        change = by_url.get((index, url))
        if change is not None and change.kind in kinds and change.found is None and change.at <= now:
            change.found = now

    per_cycle, pending = [], list(changes)
    cycles = int(timedelta(days=days) / CYCLE)
    for n in range(1, cycles + 1):
        now = T0 + n * CYCLE
        while pending and pending[0].at <= now:
            change = pending.pop(0)
            apply(change, world[change.portal], rng)
        per_cycle.append(sum(strategy.cycle(i, portal, now, found) for i, portal in enumerate(world)))
    return changes, per_cycle


def run(report: Report, quick: bool = False) -> None:
    portals, docs, days = (20, 200, 7) if quick else (200, 500, 14)
    settings = FreshnessSettings(cycle=CYCLE.total_seconds())  # the defaults: 7d / 1d / 1d, cap 100
    report.note(f"in-memory simulation (no HTTP), simulated clock: {portals} portals × {docs} documents × "
                f"{days} days, a crawl every 2 h; eduwatch drives crawler.freshness itself; bounds "
                f"7d/1d/1d, cap 100; the first crawl is left out of the request counts")
    results = {}
    for cls in (Eduwatch, ListOnly, RefetchAll, NutchAdaptive):
        changes, per_cycle = simulate(cls, portals, docs, days, settings)
        end = T0 + timedelta(days=days)
        scored = [c for c in changes if c.at + c.bound <= end]
        within = [c for c in scored if c.found is not None and c.found - c.at <= c.bound]
        delays = sorted((c.found - c.at).total_seconds() / 3600 for c in changes if c.found is not None)
        results[cls.name] = (scored, within, delays, per_cycle)
    refetch_mean = statistics.mean(results[RefetchAll.name][3])
    for name, (scored, within, delays, per_cycle) in results.items():
        mean, peak = statistics.mean(per_cycle), max(per_cycle)
        ours = name == Eduwatch.name
        report.figure(f"{name}: changes found within bound", 100 * len(within) / max(len(scored), 1), "%",
                      target="100" if ours else None, check=at_least(100) if ours else None,
                      note=f"{len(within)} of {len(scored)} scored")
        p95 = delays[int(0.95 * (len(delays) - 1))] if delays else 0.0
        report.figure(f"{name}: detection delay median", statistics.median(delays) if delays else 0.0, "h")
        report.figure(f"{name}: detection delay p95", p95, "h")
        report.figure(f"{name}: requests per cycle mean", round(mean, 1), "requests")
        report.figure(f"{name}: requests per cycle max", peak, "requests",
                      target="≤ 2 × mean" if ours else None, check=at_most(2 * mean) if ours else None)
        if ours:
            report.figure("eduwatch mean cycle / refetch-everything", round(100 * mean / refetch_mean, 2), "%",
                          target="≤ 10", check=at_most(10))
    by_kind = {}
    for change in results[Eduwatch.name][0]:
        by_kind.setdefault(change.kind, [0, 0])[0] += 1
    for change in results[Eduwatch.name][1]:
        by_kind[change.kind][1] += 1
    report.note("eduwatch, found within bound by kind: " +
                ", ".join(f"{kind} {found}/{total}" for kind, (total, found) in sorted(by_kind.items())))
