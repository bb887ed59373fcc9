"""Which portals the daemon crawls now, and together with which: its dispatcher.

Why not one APScheduler job per portal (as before): each scheduled run became its own crawl
child, started by a pool of two threads; at a few thousand portals most slots found their job
still queued and were skipped with a "max instances" warning each, while the children crawled
one portal at a time. Here one loop owns every portal's next slot. Portals falling due within
a short *gathering window* are handed out together in batches of up to ``per_child`` portals,
at most ``children`` batches at once; the daemon crawls a batch in one crawl child, where each
host keeps its own politeness and different hosts are crawled side by side.

Rules, in the issue's words:

* **Never twice at once.** A portal in a batch is not handed out again until its batch is
  finished.
* **Late once, never queued.** A slot that falls due while the portal's run is still crawling
  becomes *one* more run, started as soon as the crawl ends, its due time that slot's; further
  slots meanwhile are coalesced into it. A slot that falls due while the portal is still
  waiting for a free child is coalesced into the waiting run. Either way the lag is the start
  minus that due time, and nothing piles up.
* **Visible, not noisy.** A portal whose owed run is later than a tenth of its interval is
  *behind*: one notice when it falls behind, one when a run of it starts on time again.

No threads and no clock of its own: the daemon calls :meth:`Dispatcher.tick` with the time and
:meth:`Dispatcher.finished` when a batch ends; the tests do the same with a clock they control.
Everything is per portal (one :class:`Slot` each, one live heap entry each), so nothing grows
across cycles.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping

from monitor.shell.schedules import Schedule

GATHER_WINDOW = 120.0  # seconds: a portal due this soon joins a batch starting now …
GATHER_SHARE = 0.05  # … but never sooner than this share of its interval ahead of its due time
ON_TIME_SHARE = 0.1  # a run starting at most this share of its interval after its due time is on time


def tolerance(schedule: Schedule) -> float:
    """Seconds a run may start after its due time and still be on time."""
    return ON_TIME_SHARE * schedule.interval


def gather_window(schedule: Schedule) -> float:
    """Seconds ahead of its due time a portal may join a batch that is starting."""
    return min(GATHER_WINDOW, GATHER_SHARE * schedule.interval)


@dataclass
class Slot:
    """One portal's place in the schedule."""

    name: str
    schedule: Schedule
    base: datetime  # the next slot, before its jitter
    due: datetime  # base + jitter: when the next run falls due
    owed: datetime | None = None  # due time of the run handed out or waiting (None: idle)
    crawling: bool = False  # its run is in a batch now
    again: datetime | None = None  # first slot that fell due while crawling: one more run, once
    behind: bool = False


@dataclass(frozen=True)
class Batch:
    """Portals to crawl together, each with the slot its run is for."""

    due_at: dict[str, datetime]


@dataclass(frozen=True)
class Notice:
    """A change worth one log line: ``behind`` or ``caught_up``."""

    kind: str
    portal: str
    lag: float  # seconds after its due time
    interval: float
    why: str = ""


@dataclass
class Dispatcher:
    """Due portals → batches. See the module docstring for the rules."""

    schedules: Mapping[str, Schedule]
    per_child: int
    children: int
    jitter: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    slots: dict[str, Slot] = field(default_factory=dict, init=False)
    running: int = field(default=0, init=False)  # batches handed out and not finished
    _heap: list[tuple[datetime, str]] = field(default_factory=list, init=False)
    _waiting: set[str] = field(default_factory=set, init=False)
    _owing: set[str] = field(default_factory=set, init=False)

    def plan(self, portal: str, first_due: datetime) -> None:
        """Set a portal's first due time (naive UTC); its later slots follow its schedule."""
        slot = Slot(portal, self.schedules[portal], first_due, first_due)
        self.slots[portal] = slot
        heapq.heappush(self._heap, (slot.due, portal))

    def tick(self, now: datetime) -> tuple[list[Batch], list[Notice]]:
        """Collect what fell due by ``now``; the batches to start now and the notices to log."""
        self._collect(now)
        notices = self._check_behind(now)
        return self._dispatch(now, notices), notices

    def finished(self, batch: Batch, now: datetime, hold: Mapping[str, datetime] | None = None) -> None:
        """A batch ended. A portal owed another run (a slot fell due meanwhile) waits for a child
        at once; ``hold`` (failing portals backing off) moves a portal's next due time later."""
        self.running = max(0, self.running - 1)
        for portal in batch.due_at:
            slot = self.slots.get(portal)
            if slot is None:
                continue
            slot.crawling, slot.owed, slot.again = False, slot.again, None
            until = (hold or {}).get(portal)
            if until is not None:
                slot.owed = None
                if until > slot.due:
                    slot.base = slot.due = until
                    heapq.heappush(self._heap, (slot.due, portal))
            if slot.owed is None:
                self._owing.discard(portal)
            else:
                self._waiting.add(portal)

    def next_runs(self) -> dict[str, datetime]:
        """Each portal's next start as far as the schedule knows (a waiting run: its due time)."""
        return {name: slot.owed if slot.owed is not None and not slot.crawling else slot.due
                for name, slot in self.slots.items()}

    def lag(self, portal: str, now: datetime) -> float:
        """Seconds the portal's owed run is past its due time (0: idle, or on its way in time)."""
        slot = self.slots[portal]
        owed = slot.again if slot.crawling else slot.owed
        return max(0.0, (now - owed).total_seconds()) if owed is not None else 0.0

    # --- the steps of a tick ------------------------------------------------------------------

    def _collect(self, now: datetime) -> None:
        """Pop every slot due by now (or within its gathering window, for an idle portal)."""
        deferred: list[tuple[datetime, str]] = []
        horizon = now + timedelta(seconds=GATHER_WINDOW)
        while self._heap and self._heap[0][0] <= horizon:
            due, name = heapq.heappop(self._heap)
            slot = self.slots.get(name)
            if slot is None or due != slot.due:
                continue  # stale entry: the slot moved since
            if slot.owed is None and due <= now + timedelta(seconds=gather_window(slot.schedule)):
                slot.owed = due
                self._waiting.add(name)
                self._owing.add(name)
                self._advance(slot, after=slot.base)
            elif slot.owed is not None and due <= now:
                if slot.crawling and slot.again is None:
                    slot.again = due
                self._advance(slot, after=now)  # coalesced: no second run queued
            else:
                deferred.append((due, name))
        for entry in deferred:
            heapq.heappush(self._heap, entry)

    def _advance(self, slot: Slot, *, after: datetime) -> None:
        slot.base = slot.schedule.next_slot(slot.base, after)
        spread = slot.schedule.jitter(self.jitter)
        slot.due = slot.base + timedelta(seconds=self.rng.uniform(0, spread) if spread else 0.0)
        heapq.heappush(self._heap, (slot.due, slot.name))

    def _check_behind(self, now: datetime) -> list[Notice]:
        notices = []
        for name in self._owing:
            slot = self.slots[name]
            lag = self.lag(name, now)
            if not slot.behind and lag > tolerance(slot.schedule):
                slot.behind = True
                why = "its last run was still crawling" if slot.crawling else "waiting for a free crawl child"
                notices.append(Notice("behind", name, lag, slot.schedule.interval, why))
        return notices

    def _dispatch(self, now: datetime, notices: list[Notice]) -> list[Batch]:
        """Hand out waiting portals, earliest due first, ``per_child`` to a batch."""
        batches: list[Batch] = []
        queue = sorted(self._waiting, key=lambda name: (self.slots[name].owed, name))
        while queue and self.running < self.children:
            chosen, queue = queue[:self.per_child], queue[self.per_child:]
            due_at = {}
            for name in chosen:
                slot = self.slots[name]
                assert slot.owed is not None
                due_at[name] = slot.owed
                slot.crawling = True
                self._waiting.discard(name)
                lag = max(0.0, (now - slot.owed).total_seconds())
                if slot.behind and lag <= tolerance(slot.schedule):
                    slot.behind = False
                    notices.append(Notice("caught_up", name, lag, slot.schedule.interval))
            self.running += 1
            batches.append(Batch(due_at))
        return batches
