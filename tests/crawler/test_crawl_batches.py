"""A crawl of many portals runs in child processes of at most ``[crawl] portals_per_process``
portals; a child that dies fails only its own portals' runs (real local portals, real children)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Callable, Iterator

import pytest
from sqlalchemy import func, select

from crawler.batches import describe_split, run_batches, split_portals
from crawler.runner import run_crawl
from localportals import PortalServer, samples
from storage.database import Database
from storage.models import CrawlRun, Portal, Source
from tests.crawler.crawl_support import write_config

DOCS = 3


def test_split_keeps_order_drops_duplicates_and_bounds_size() -> None:
    assert split_portals(["a", "b", "a", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert split_portals(["a", "b"], 250) == [["a", "b"]]
    assert split_portals([], 3) == []
    with pytest.raises(ValueError, match="at least 1"):
        split_portals(["a"], 0)


def test_run_batches_returns_results_in_batch_order_with_parallel_workers() -> None:
    import threading
    import time

    threads: set[str] = set()

    def crawl(index: int, batch: list[str]) -> list[str]:
        threads.add(threading.current_thread().name)
        time.sleep(0.05 * (3 - index))  # later batches finish first
        return [f"{index}:{name}" for name in batch]

    batches = split_portals(list("abcde"), 2)
    assert run_batches(batches, crawl, 2) == ["0:a", "0:b", "1:c", "1:d", "2:e"]
    assert len(threads) == 2
    assert describe_split(batches, 2, 2) == "crawling 5 portals in 3 processes of at most 2 portals, 2 at a time"


@pytest.fixture
def five_portals() -> Iterator[list[PortalServer]]:
    servers = [PortalServer(samples.synthetic_site("gkmlpt", DOCS, seed=seed)).start() for seed in range(5)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def names_of(servers: list[PortalServer]) -> list[str]:
    return [server.site.name for server in servers]


def documents_per_portal(database_url: str) -> dict[str, int]:
    db = Database(database_url)
    try:
        with db.sessions() as session:
            rows = session.execute(
                select(Portal.name, func.count(func.distinct(Source.document_id)))
                .join(Source, Source.portal_id == Portal.id).group_by(Portal.name)
            ).all()
        return {name: count for name, count in rows}
    finally:
        db.dispose()


def killer_of_child_crawling(portal: str, lines: list[str]) -> Callable[[str], None]:
    """A progress callback that SIGKILLs our own crawl child as soon as it announces ``portal``.

    The child is found by its parent (this process) and its command line, which lists the
    portals it crawls; nothing else is touched.
    """
    def progress(line: str) -> None:
        lines.append(line)
        if line.startswith(f"{portal}: started"):
            os.kill(child_crawling(portal), signal.SIGKILL)
    return progress


def child_crawling(portal: str) -> int:
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me and portal.encode() in args:
            return int(entry.name)
    raise AssertionError(f"no crawl child of ours crawls {portal}")


def test_five_portals_two_per_process_run_three_children_and_all_get_their_documents(
    tmp_path: Path, five_portals: list[PortalServer], sqlite_url: str
) -> None:
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, five_portals, portals_per_process=2, processes=2)
    names = names_of(five_portals)
    lines: list[str] = []
    summaries = run_crawl(config, list(reversed(names)), progress=lines.append)
    assert lines[0] == "crawling 5 portals in 3 processes of at most 2 portals, 2 at a time"
    assert [s.portal for s in summaries] == list(reversed(names))  # input order, whatever finished first
    assert [(s.status, s.docs_new) for s in summaries] == [("ok", DOCS)] * 5
    assert sorted(line for line in lines if ": started" in line) == sorted(
        f"{s.portal}: started (gkmlpt, run {s.run_id})" for s in summaries)
    assert sum(1 for line in lines if ": ok — " in line) == 5
    assert documents_per_portal(sqlite_url) == {name: DOCS for name in names}
    assert all(server.log for server in five_portals)


def test_a_killed_child_fails_only_its_own_portals(
    tmp_path: Path, five_portals: list[PortalServer], sqlite_url: str
) -> None:
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, five_portals, portals_per_process=2)
    names = names_of(five_portals)
    lines: list[str] = []
    summaries = run_crawl(config, names, progress=killer_of_child_crawling(names[2], lines))
    assert lines[0] == "crawling 5 portals in 3 processes of at most 2 portals, 1 at a time"
    statuses = {s.portal: s.status for s in summaries}
    assert statuses == {names[0]: "ok", names[1]: "ok", names[2]: "failed", names[3]: "failed", names[4]: "ok"}
    killed = [s for s in summaries if s.status == "failed"]
    # The one supervisor's wording, as the locked crawl (tests/monitor/shell) reports it too.
    assert {s.reason for s in killed} == {"the crawl process was killed by SIGKILL"}
    assert documents_per_portal(sqlite_url) == {names[0]: DOCS, names[1]: DOCS, names[4]: DOCS}
    db = Database(sqlite_url)
    try:
        with db.sessions() as session:
            runs = {run.id: (run.status, run.finished_at is not None) for run in session.scalars(select(CrawlRun))}
    finally:
        db.dispose()
    assert runs == {s.run_id: (s.status, True) for s in summaries}


def test_memory_warning_is_about_the_largest_child_not_the_whole_crawl() -> None:
    from crawler.batches import memory_warning

    small = split_portals([f"p{n}" for n in range(3000)], 250)
    assert memory_warning(small, 1024) is None  # 12 children of 250: each fits
    big = split_portals([f"p{n}" for n in range(3000)], 3000)
    assert memory_warning(big, 1024) == (
        "warning: a crawl process of 3000 portals needs about 1900 MB, close to or over its limit of 1024 MB "
        "([daemon] crawl_memory_mb): lower [crawl] portals_per_process")
    assert memory_warning(big, None) is None
