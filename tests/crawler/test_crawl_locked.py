"""``crawl_portals_locked`` splits a crawl into children of ``[crawl] portals_per_process``
portals, each with its own limits, holds every portal's lease for the whole call, and a child
that dies fails only its own portals (real local portals, real child processes)."""

from __future__ import annotations

import threading
from pathlib import Path

from crawler.runner import crawl_portals_locked
from crawler.supervisor import CrawlLimits
from storage.database import Database
from storage.locks import Locks
from storage.crawl_leases import crawl_lease
from tests.crawler.crawl_support import write_config
from tests.crawler.test_crawl_batches import (  # noqa: F401  (five_portals is a fixture)
    DOCS, documents_per_portal, five_portals, killer_of_child_crawling, names_of,
)


def test_locked_crawl_of_five_portals_runs_three_children_holding_every_lease(
    tmp_path: Path, five_portals, sqlite_url: str  # type: ignore[no-untyped-def]
) -> None:
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, five_portals, portals_per_process=2, processes=2)
    names = names_of(five_portals)
    db = Database(sqlite_url)
    held_during: list[set[str]] = []
    lock = threading.Lock()

    def progress(line: str) -> None:
        if ": ok — " in line:
            with lock:
                held_during.append({lease.name for lease in Locks(db).list("crawl:")})

    lines: list[str] = []
    try:
        summaries = crawl_portals_locked(config, names, progress=lambda line: (lines.append(line), progress(line)),
                                         db=db)
        assert Locks(db).list("crawl:") == []
    finally:
        db.dispose()
    assert lines[0] == "crawling 5 portals in 3 processes of at most 2 portals, 2 at a time"
    assert [(s.portal, s.status, s.docs_new) for s in summaries] == [(name, "ok", DOCS) for name in names]
    assert len(held_during) == 5
    assert all(held == {crawl_lease(name) for name in names} for held in held_during)  # all leases, all the time
    assert documents_per_portal(sqlite_url) == {name: DOCS for name in names}


def test_a_killed_locked_child_fails_only_its_own_portals(
    tmp_path: Path, five_portals, sqlite_url: str  # type: ignore[no-untyped-def]
) -> None:
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, five_portals, portals_per_process=2)
    names = names_of(five_portals)
    lines: list[str] = []
    summaries = crawl_portals_locked(config, names, progress=killer_of_child_crawling(names[2], lines),
                                     limits=CrawlLimits(time_limit=120, memory_mb=1024))
    assert [s.portal for s in summaries] == names
    statuses = {s.portal: s.status for s in summaries}
    assert statuses == {names[0]: "ok", names[1]: "ok", names[2]: "failed", names[3]: "failed", names[4]: "ok"}
    assert {s.reason for s in summaries if s.status == "failed"} == {"the crawl process was killed by SIGKILL"}
    assert documents_per_portal(sqlite_url) == {names[0]: DOCS, names[1]: DOCS, names[4]: DOCS}
    db = Database(sqlite_url)
    try:
        assert Locks(db).list("crawl:") == []
    finally:
        db.dispose()


def test_a_shutdown_before_a_batch_starts_records_its_runs_failed_without_a_child(
    tmp_path: Path, five_portals, sqlite_url: str  # type: ignore[no-untyped-def]
) -> None:
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, five_portals, portals_per_process=2)
    names = names_of(five_portals)
    stop = threading.Event()

    def progress(line: str) -> None:
        if ": ok — " in line:
            stop.set()  # the daemon shuts down while the first child finishes

    summaries = crawl_portals_locked(config, names, progress=progress, stop=stop)
    assert [s.portal for s in summaries] == names
    assert [s.status for s in summaries][2:] == ["failed"] * 3
    assert {s.reason for s in summaries[2:]} == {"stopped by shutdown"}
    assert all(not server.log for server in five_portals[2:])  # later children never started
