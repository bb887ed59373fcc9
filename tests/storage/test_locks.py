"""Named leases on SQLite and PostgreSQL: exclusivity, expiry, renewal, and races between processes."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

from storage.database import Database
from storage.locks import LeaseBusy, LeaseKeeper, Locks


def test_second_holder_is_refused_until_release(db: Database) -> None:
    locks = Locks(db)
    assert locks.acquire("crawl:huilai", "a", ttl=60)
    assert not locks.acquire("crawl:huilai", "b", ttl=60)
    assert locks.get("crawl:huilai").holder == "a"
    with pytest.raises(LeaseBusy, match="held by a since"):
        locks.acquire_or_raise("crawl:huilai", "b", ttl=60)
    assert not locks.release("crawl:huilai", "b")  # not b's to release
    assert locks.release("crawl:huilai", "a")
    assert locks.acquire("crawl:huilai", "b", ttl=60)
    assert locks.held("crawl:huilai").holder == "b"


def test_holder_may_reacquire_and_other_names_are_independent(db: Database) -> None:
    locks = Locks(db)
    assert locks.acquire("daemon", "a", ttl=60)
    assert locks.acquire("daemon", "a", ttl=60)
    assert locks.acquire("crawl:x", "b", ttl=60)
    assert [lease.name for lease in locks.list("crawl:")] == ["crawl:x"]


def test_expired_lease_is_taken_over_and_old_holder_cannot_renew(db: Database) -> None:
    locks = Locks(db)
    assert locks.acquire("daemon", "killed", ttl=0.3)
    assert not locks.acquire("daemon", "new", ttl=60)
    time.sleep(0.5)
    assert locks.held("daemon") is None
    assert locks.acquire("daemon", "new", ttl=60)
    assert not locks.renew("daemon", "killed", ttl=60)
    assert locks.renew("daemon", "new", ttl=60)


def test_keeper_renews_beyond_ttl_and_releases(db: Database) -> None:
    locks = Locks(db)
    assert locks.acquire("daemon", "a", ttl=0.6)
    keeper = LeaseKeeper(locks, "daemon", "a", ttl=0.6).start()
    try:
        time.sleep(1.5)  # well past the first expiry
        assert not locks.acquire("daemon", "b", ttl=60)
        assert not keeper.lost.is_set()
    finally:
        keeper.stop()
    assert locks.get("daemon") is None


def test_keeper_reports_a_lost_lease(db: Database) -> None:
    locks = Locks(db)
    lost: list[str] = []
    assert locks.acquire("daemon", "a", ttl=60)
    keeper = LeaseKeeper(locks, "daemon", "a", ttl=0.6, on_lost=lost.append).start()
    try:
        assert locks.release("daemon", "a")  # as if it had expired and been taken
        assert locks.acquire("daemon", "b", ttl=60)
        assert keeper.lost.wait(3)
        assert lost == ["daemon"]
    finally:
        keeper.stop()
    assert locks.get("daemon").holder == "b"  # stop() never releases someone else's lease


def test_wait_acquire_waits_for_release_and_times_out(db: Database) -> None:
    locks = Locks(db)
    assert locks.acquire("crawl:p", "a", ttl=60)
    seen: list[str] = []
    assert not locks.wait_acquire("crawl:p", "b", ttl=60, timeout=0.5, poll=0.1,
                                  on_wait=lambda lease: seen.append(lease.holder))
    assert seen == ["a"]
    threading.Timer(0.3, locks.release, args=("crawl:p", "a")).start()
    started = time.monotonic()
    assert locks.wait_acquire("crawl:p", "b", ttl=60, timeout=5, poll=0.05)
    assert time.monotonic() - started < 3


def test_publish_is_a_notice_not_a_lease(db: Database) -> None:
    locks = Locks(db)
    at = locks.now().replace(microsecond=0)
    locks.publish("schedule:huilai", "daemon-1", at)
    locks.publish("schedule:huilai", "daemon-1", at)
    assert locks.get("schedule:huilai").expires_at == at
    locks.unpublish("schedule:", "someone-else")
    assert locks.get("schedule:huilai") is not None
    locks.unpublish("schedule:", "daemon-1")
    assert locks.get("schedule:huilai") is None


def _contend(url: str, name: str, holder: str, start: float, out: "multiprocessing.Queue[tuple[str, bool]]") -> None:
    db = Database(url, create=False)
    while time.time() < start:
        time.sleep(0.005)
    out.put((holder, Locks(db).acquire(name, holder, ttl=60)))
    db.dispose()


def test_exactly_one_of_many_processes_wins(db: Database) -> None:
    ctx = multiprocessing.get_context("forkserver")
    out = ctx.Queue()
    start = time.time() + 1.5
    procs = [ctx.Process(target=_contend, args=(db.url, "race", f"p{n}", start, out)) for n in range(4)]
    for proc in procs:
        proc.start()
    try:
        results = dict(out.get(timeout=30) for _ in procs)
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
    winners = [holder for holder, won in results.items() if won]
    assert len(winners) == 1
    assert Locks(db).get("race").holder == winners[0]
