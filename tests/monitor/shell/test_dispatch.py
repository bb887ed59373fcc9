"""Issue 14: due portals are crawled together; a slow portal is late once, never queued; a
schedule that cannot be met shows its lag in ``status`` and logs two lines, not one per slot.

Time is a clock the tests move (the dispatcher and the daemon take it injected); only the first
test crawls for real, to see which crawl child each portal ran in.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import pytest
import crawler.supervisor
from eduwatch.config import load_config
from localportals import PortalServer, Site, samples
from monitor.shell.daemon import Daemon
from monitor.shell.dispatch import Batch, Dispatcher
from monitor.shell.schedules import Schedule
from monitor.shell.status import collect_status, format_status
from storage.database import Database
from storage.runs import RunOutcome, RunSummary, Runs
from tests.monitor.shell.test_daemon_process import runs, served, write_config  # noqa: F401 — fixture

T0 = datetime(2026, 11, 24, 8, 0, 0)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# --- sharing a child (a real crawl) -----------------------------------------------------------------


def test_portals_due_together_share_one_crawl_child(
    tmp_path: Path, served: Callable[[Site], PortalServer], sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    sites = []
    for n in range(3):
        site = samples.synthetic_site("gkmlpt", 3, seed=n)
        site.name = f"county{n}"
        served(site)
        sites.append(site)
    config_path = write_config(tmp_path / "c.toml", sqlite_url, sites, schedule="every 1h", jitter=1.0)
    children: list[list[str]] = []
    real_run = crawler.supervisor.CrawlChild.run

    def spy(self: crawler.supervisor.CrawlChild, stop=None) -> list[RunSummary]:  # type: ignore[no-untyped-def]
        children.append(list(self.portals))
        return real_run(self, stop)

    monkeypatch.setattr(crawler.supervisor.CrawlChild, "run", spy)
    now = [datetime.utcnow()]
    daemon = Daemon(load_config(config_path), str(config_path), rng=random.Random(1), clock=lambda: now[0])
    try:
        daemon._prepare()
        daemon.plan()  # never crawled: each due 1-2 s from now (jitter 1 s)
        now[0] += timedelta(seconds=3)
        with caplog.at_level(logging.INFO, logger="eduwatch.daemon"):
            assert daemon.step() is True
            batch, hold = daemon._finished.get(timeout=120)  # the batch's thread reports back
        assert sorted(batch.due_at) == ["county0", "county1", "county2"]
        assert [sorted(child) for child in children] == [["county0", "county1", "county2"]]  # one child
        for name, due in batch.due_at.items():
            [row] = runs(daemon.db, name)
            assert (row.status, row.trigger, row.due_at) == ("ok", "schedule", due)
        messages = [r.getMessage() for r in caplog.records]
        # one monitor pass and delivery after the batch (done, or an error logged: it ran once)
        assert messages.count("monitor.done") + messages.count("monitor.error") == 1
        assert messages.count("crawl.finished") == 3
    finally:
        daemon.stop()
        daemon.db.dispose()


def test_batches_hold_at_most_per_child_portals_and_children_at_once() -> None:
    hourly = Schedule("interval", 3600.0)
    dispatcher = Dispatcher({f"p{n}": hourly for n in range(7)}, per_child=3, children=2)
    for n in range(7):
        dispatcher.plan(f"p{n}", _at(n))  # due one second apart: all within the gathering window
    batches, _ = dispatcher.tick(_at(0))
    assert [sorted(b.due_at) for b in batches] == [["p0", "p1", "p2"], ["p3", "p4", "p5"]]
    assert dispatcher.tick(_at(10))[0] == []  # both children busy: p6 waits
    dispatcher.finished(batches[0], _at(20))
    [third], _ = dispatcher.tick(_at(20))
    assert list(third.due_at) == ["p6"] and third.due_at["p6"] == _at(6)


# --- late once, never queued (a clock the test moves) -------------------------------------------------


def test_a_portal_due_again_while_crawling_is_late_once_not_queued_twice() -> None:
    every_10s = Schedule("interval", 10.0)
    dispatcher = Dispatcher({"slow": every_10s, "quick": every_10s}, per_child=10, children=1)
    dispatcher.plan("slow", _at(0))
    [first], _ = dispatcher.tick(_at(0))
    assert first.due_at == {"slow": _at(0)}
    started: list[Batch] = []
    notices = []
    for tenth in range(1, 351):  # 35 s: the slots at 10, 20 and 30 s pass while it crawls
        batches, said = dispatcher.tick(_at(tenth / 10))
        started += batches
        notices += said
    assert started == []  # never twice at once
    assert [(n.kind, n.portal) for n in notices] == [("behind", "slow")]
    dispatcher.finished(first, _at(35))
    [second], _ = dispatcher.tick(_at(35))
    assert second.due_at == {"slow": _at(10)}  # one run for the three slots, due at the first
    assert dispatcher.lag("slow", _at(35)) == 0  # crawling, nothing owed beyond it
    assert dispatcher.tick(_at(39))[0] == []
    dispatcher.finished(second, _at(39))
    batches, said = dispatcher.tick(_at(39.6))  # the slot at 40 s, within its gathering window
    assert [b.due_at for b in batches] == [{"slow": _at(40)}]
    assert [(n.kind, n.portal) for n in said] == [("caught_up", "slow")]


def test_a_waiting_portal_whose_next_slot_passes_keeps_one_waiting_run() -> None:
    every_10s = Schedule("interval", 10.0)
    dispatcher = Dispatcher({"a": every_10s, "b": every_10s}, per_child=1, children=1)
    dispatcher.plan("a", _at(0))
    dispatcher.plan("b", _at(0))
    [only], _ = dispatcher.tick(_at(0))  # one child, one portal a child: b waits
    for second in range(1, 25):
        assert dispatcher.tick(_at(second))[0] == []
    dispatcher.finished(only, _at(25))
    [nxt], _ = dispatcher.tick(_at(25))
    assert nxt.due_at == {"b": _at(0)}  # b's waiting run, once, its lag 25 s
    dispatcher.finished(nxt, _at(26))
    [after], _ = dispatcher.tick(_at(26))
    assert after.due_at == {"a": _at(10)}  # a was crawling at its 10 s and 20 s slots: one late run


# --- a schedule that cannot be met: status and the log ---------------------------------------------------


class SimulatedDaemon(Daemon):
    """The real daemon loop with crawls that take simulated time: a batch's runs are opened at
    the daemon's clock and the batch reports back ``crawl_seconds`` later on that clock."""

    crawl_seconds = 25.0

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.in_flight: list[tuple[datetime, Batch]] = []

    def _launch(self, batch: Batch, now: datetime) -> None:
        self._run_batch(batch, now)
        self.in_flight.append((now + timedelta(seconds=self.crawl_seconds), batch))

    def _crawl(self, batch: Batch) -> tuple[list[RunSummary], list[str]]:
        runs = Runs(self.db)
        summaries = []
        for portal, due in batch.due_at.items():
            run_id = runs.open(portal, full=False, trigger="schedule", due_at=due, started_at=self.clock())
            summaries.append(runs.close(run_id, RunOutcome(pages_fetched=1)))
        return summaries, []

    def advance(self, until: datetime) -> None:
        done = [entry for entry in self.in_flight if entry[0] <= until]
        for entry in done:
            self.in_flight.remove(entry)
            self._finished.put((entry[1], {}))
        self.step()


def test_a_schedule_that_cannot_be_met_shows_its_lag_and_logs_two_lines(
    tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    site = samples.synthetic_site("gkmlpt", 1)
    site.base_url = "http://127.0.0.1:9"  # never fetched: the crawls are simulated
    config_path = write_config(tmp_path / "c.toml", sqlite_url, [site], schedule="every 10s", jitter=0)
    config = load_config(config_path)
    now = [T0]
    daemon = SimulatedDaemon(config, str(config_path), rng=random.Random(2), clock=lambda: now[0])
    try:
        daemon._prepare()
        with caplog.at_level(logging.INFO, logger="eduwatch.daemon"):
            daemon.plan()
            for tenth in range(0, 1200):  # 120 s of 25 s crawls on a 10 s schedule: cannot be met
                now[0] = _at(tenth / 10)
                daemon.advance(now[0])
            slow_runs = len(runs(daemon.db))
            status = collect_status(daemon.db, config)
            daemon.crawl_seconds = 2.0  # the portal answers faster: the schedule can be met again
            for tenth in range(1200, 2000):
                now[0] = _at(tenth / 10)
                daemon.advance(now[0])
        assert 4 <= slow_runs <= 6  # one run at a time, back to back: no queue of missed slots
        [entry] = status["portals"]
        lag = entry["schedule_lag"]
        assert lag["lag_last_seconds"] >= 14 and lag["lag_median_seconds"] >= 14  # 25 s crawls, 10 s slots
        assert lag["on_time_share"] <= 0.25  # only the very first run started on time
        assert f"{lag['on_time_share'] * 100:.0f}%" in format_status(status)
        messages = [r.getMessage() for r in caplog.records if r.name == "eduwatch.daemon"]
        assert messages.count("schedule.behind") == 1
        assert messages.count("schedule.caught_up") == 1
        assert not [m for m in messages if "skipped" in m or "max instances" in m or "missed" in m]
        recovered = collect_status(daemon.db, config)["portals"][0]["schedule_lag"]
        assert recovered["lag_last_seconds"] <= 1.0
    finally:
        daemon.db.dispose()


def test_the_dispatchers_state_does_not_grow_across_cycles() -> None:
    """Days of cycles leave one slot and at most a couple of heap entries per portal."""
    every_10s = Schedule("interval", 10.0)
    portals = {f"p{n}": every_10s for n in range(50)}
    dispatcher = Dispatcher(portals, per_child=20, children=2, jitter=300, rng=random.Random(5))
    for n, name in enumerate(portals):
        dispatcher.plan(name, _at(n / 5))
    running: list[tuple[datetime, Batch]] = []
    sizes = []
    for tenth in range(0, 20_000):  # 2,000 s: 200 cycles, some crawls outlasting a slot
        now = _at(tenth / 10)
        for entry in [e for e in running if e[0] <= now]:
            running.remove(entry)
            dispatcher.finished(entry[1], now)
        batches, _ = dispatcher.tick(now)
        running += [(now + timedelta(seconds=3 + len(b.due_at) / 2), b) for b in batches]
        if tenth % 1000 == 999:
            sizes.append((len(dispatcher._heap), len(dispatcher._owing), len(dispatcher.slots)))
    assert all(heap <= 2 * len(portals) and owing <= len(portals) and slots == len(portals)
               for heap, owing, slots in sizes), sizes


def test_a_portal_whose_revisits_fall_behind_is_reported_once_and_once_when_caught_up(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, sqlite_db: Database
) -> None:
    """Issue 11: like a failing portal, not on every batch (the overdue counts come from
    storage.freshness.portal_freshness, whose own tests cover the query)."""
    import monitor.shell.reports as reports
    from storage.freshness import PortalFreshness

    overdue = {"huilai": 3}
    monkeypatch.setattr(reports, "portal_freshness", lambda db, now: {
        name: PortalFreshness(name, 100, None, 0, count, 0, None, None) for name, count in overdue.items()})
    behind = reports.RevisitsBehind()
    now = datetime(2026, 12, 2, 8, 0)
    with caplog.at_level("INFO", logger="eduwatch.daemon"):
        for _ in range(3):
            behind.after_batch(sqlite_db, ["huilai"], now)
        overdue["huilai"] = 0
        for _ in range(2):
            behind.after_batch(sqlite_db, ["huilai"], now)
    lines = [r.getMessage() for r in caplog.records]
    assert sum("portal.revisits_behind" in line for line in lines) == 1
    assert sum("portal.revisits_caught_up" in line for line in lines) == 1
