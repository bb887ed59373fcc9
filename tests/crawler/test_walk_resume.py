"""A walk that did not finish is finished by the next ordinary run, without ``--full`` (issue 13).

The trap: an incremental walk stops at the first list page it knows. A run that stored the
new documents of page 1 and then broke (a list page failing, a time limit, the process
killed) leaves page 1 all known, so the next run used to stop there and the new documents
further down were lost until someone ran ``--full``. These runs follow a first complete crawl,
so no periodic deep walk is due: only the broken run can make the next one walk to the end.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.runner import run_crawl
from localportals import Doc, PortalServer, samples
from storage.database import Database
from storage.models import Source
from tests.crawler.crawl_support import write_config

NEW = 8  # more than a list page (6): the new documents spill onto page 2


def _stored(url: str) -> int:
    db = Database(url)
    try:
        with db.sessions() as session:
            return session.scalar(select(func.count()).select_from(Source)) or 0
    finally:
        db.dispose()


def _new_doc(server: PortalServer, day: dt.date) -> Doc:
    """A new notice with its own 文号 (so each is its own document)."""
    site = server.site
    number = site.next_id()
    unit = f"{site.title}教育局"
    return site.add_doc(Doc(
        id=number, title=f"{unit}关于第{number}批乡村学校校舍改造项目的通知", category="教育",
        body=f"各学校：\n现将第{number}批乡村学校校舍改造项目通知如下。\n{unit}",
        published_date=day, written_date=day, index_no=f"{site.name}/{day.year}-{number:05d}",
        doc_no=f"桓教〔{day.year}〕{number}号", publisher=unit,
    ))


def _crawl_then_add(tmp_path: Path, serve_portal, sqlite_url: str) -> tuple[PortalServer, str]:  # type: ignore[no-untyped-def]
    server = serve_portal(samples.huantai_site())
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    [first] = run_crawl(config, [server.site.name])
    assert (first.status, first.docs_new) == ("ok", len(server.site.listed()))
    for day in range(NEW):
        _new_doc(server, dt.date(2026, 11, 1) + dt.timedelta(days=day))
    return server, config


def test_a_list_page_failing_midway_is_made_good_by_the_next_run(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    server, config = _crawl_then_add(tmp_path, serve_portal, sqlite_url)
    page_two = server.site.family.list_paths(server.site)[0].replace("index.html", "index_2.html")
    server.site.faults.flaky[page_two] = 100  # answers 503 however often it is retried
    [broken] = run_crawl(config, [server.site.name])
    assert broken.status == "failed" and 0 < broken.docs_new < NEW
    server.site.faults.flaky.clear()
    [next_run] = run_crawl(config, [server.site.name])
    assert next_run.status == "ok"
    assert _stored(sqlite_url) == len(server.site.listed())  # nothing lost
    assert broken.docs_new + next_run.docs_new == NEW  # nothing counted twice


def test_a_crawl_killed_at_its_time_limit_is_made_good_by_the_next_run(
    tmp_path: Path, serve_portal, sqlite_url: str, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    import crawler.runner

    server, config = _crawl_then_add(tmp_path, serve_portal, sqlite_url)
    # Ten pages 0.8 s apart cannot finish in 6 s, and a child that took 2 s to start on a busy
    # machine still stores some (at 0.4 s and 2.5 s, a slow start once left it nothing).
    slow = write_config(tmp_path / "slow.toml", sqlite_url, [server], delay=0.8)
    monkeypatch.setattr(crawler.runner, "KILL_GRACE", 0.0)  # killed at the limit, not closed cleanly
    [killed] = run_crawl(slow, [server.site.name], timeout=6.0)
    assert killed.status == "failed"
    assert _stored(sqlite_url) < len(server.site.listed())
    assert killed.docs_new > 0 and killed.pages_fetched > killed.docs_new  # true counters, not pages=0
    [next_run] = run_crawl(config, [server.site.name])
    assert next_run.status == "ok"
    assert _stored(sqlite_url) == len(server.site.listed())
