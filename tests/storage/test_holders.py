"""Leases of the dead are reclaimed at once on their host, never from the living (issue 13).

Real processes: a child takes a lease and is SIGKILLed; the next caller gets the lease
immediately instead of after its TTL. A live holder, a holder on another host, and a pid
reused by a later process are each judged right.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap


from storage.database import Database
from storage.holders import Holder, holder_is_gone, make_holder, process_start
from storage.locks import DELIVER_LEASE, MONITOR_LEASE, Locks
from storage.models import CrawlRun, Portal
from storage.runs import Runs
from storage.crawl_leases import crawl_lease, portal_leases

HOLD = textwrap.dedent("""
    import sys, time
    from storage.database import Database
    from storage.locks import Locks, make_holder
    locks = Locks(Database(sys.argv[1]))
    assert locks.acquire(sys.argv[2], make_holder("child"), ttl=600)
    print("held", flush=True)
    time.sleep(600)
""")


def _holding_child(db_url: str, name: str) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", HOLD, db_url, name], stdout=subprocess.PIPE, text=True,
                             cwd=os.getcwd())
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_a_killed_holders_lease_is_taken_at_once_not_after_its_ttl(db: Database, db_url: str) -> None:
    locks = Locks(db)
    for name in (DELIVER_LEASE, MONITOR_LEASE):
        child = _holding_child(db_url, name)
        try:
            assert not locks.acquire(name, make_holder("me"), ttl=60)  # alive: refused
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert locks.acquire(name, make_holder("me"), ttl=60)  # 600 s TTL, taken now
        assert locks.held(name).holder.startswith("me@")


def test_a_crawl_lease_of_a_dead_crawl_is_taken_and_its_running_run_closed(db: Database, db_url: str) -> None:
    with db.transaction() as session:
        session.add(Portal(name="huilai", title="惠来县人民政府", region="广东省", platform="gkmlpt",
                           base_url="http://www.huilai.gov.cn"))
    run_id = Runs(db).open("huilai", full=False)
    child = _holding_child(db_url, crawl_lease("huilai"))
    child.send_signal(signal.SIGKILL)
    child.wait()
    with portal_leases(Locks(db), ["huilai"], make_holder("manual"), wait=False):
        with db.sessions() as session:
            run = session.get_one(CrawlRun, run_id)
            assert run.status == "failed" and run.reason.startswith("interrupted")


def test_living_foreign_and_reused_holders() -> None:
    host = socket.gethostname()
    me = make_holder("me")
    assert not holder_is_gone(me)  # ourselves
    assert not holder_is_gone(f"x@{host}:1:abc")  # pid 1 lives (old-style id, no start time)
    assert holder_is_gone(f"x@{host}:1:abc:{(process_start(1) or 0) + 1}")  # pid 1, but another process
    assert holder_is_gone(f"x@{host}:999999:abc")  # no such pid
    assert not holder_is_gone("x@elsewhere.example:999999:abc")  # another host: wait for the TTL
    assert Holder.parse(me) == Holder("me", host, os.getpid(), process_start(os.getpid()))


def test_a_lease_of_a_live_other_process_is_never_taken(db: Database, db_url: str) -> None:
    child = _holding_child(db_url, DELIVER_LEASE)
    try:
        locks = Locks(db)
        assert not locks.acquire(DELIVER_LEASE, make_holder("me"), ttl=60)
        assert locks.held(DELIVER_LEASE).holder.startswith("child@")
    finally:
        child.kill()
        child.wait()
