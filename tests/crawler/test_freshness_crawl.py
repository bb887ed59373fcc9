"""Freshness on local portals: changes the lists never show are still seen within their bound.

Each test serves a synthetic portal (families and seeds the freshness code was not written
against), moves a clock it controls (``EDUWATCH_NOW``, read by the crawl's child process) by
hours and days without sleeping, and asserts on the requests and the monitor's events.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from crawler.revisits import RunFreshness, freshness_settings
from crawler.runner import run_crawl
from eduwatch.config import load_config
from localportals import Doc, PortalServer, samples
from monitor.changes.revisions import run_monitor
from storage.database import Database
from storage.documents import get_document
from storage.freshness import portal_freshness
from storage.models import Event, Revision, Source
from storage.runs import RunSummary
from tests.crawler.crawl_support import detail_requests, write_config

HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
T0 = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, minute=0, second=0, microsecond=0)


class Portal:
    """One served portal, its config, its database and the clock the crawls read."""

    def __init__(self, site: Any, tmp_path: Path, serve_portal: Any, sqlite_url: str,
                 monkeypatch: pytest.MonkeyPatch, **crawl: Any) -> None:
        self.site = site
        self.server: PortalServer = serve_portal(site)
        self.config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [self.server], **crawl)
        self.db = Database(sqlite_url)
        self.monkeypatch = monkeypatch
        self.now = T0

    def crawl(self, after: dt.timedelta = dt.timedelta(0)) -> RunSummary:
        self.now += after
        self.monkeypatch.setenv("EDUWATCH_NOW", self.now.isoformat())
        self.server.reset_log()
        [summary] = run_crawl(self.config, [self.site.name])
        return summary

    def events(self) -> list[tuple[str, str]]:
        """(kind, document title) of the events the monitor writes now."""
        report = run_monitor(self.db, now=self.now)
        with self.db.sessions() as session:
            rows = session.execute(select(Event.kind, Event.summary).where(Event.id.in_(report.event_ids))).all()
        return sorted((kind, summary) for kind, summary in rows)

    def details(self) -> list[str]:
        return detail_requests(self.server)

    def source(self, doc_id: int | str) -> Source:
        """The stored source of a document (by id, or by its path once the portal removed it)."""
        path = doc_id if isinstance(doc_id, str) else self.site.detail_path(doc_id)
        with self.db.sessions() as session:
            return session.scalars(select(Source).where(Source.url.endswith(path))).one()


@pytest.fixture
def portal_of(tmp_path: Path, serve_portal: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    made: list[Portal] = []

    def make(site: Any, **crawl: Any) -> Portal:
        made.append(Portal(site, tmp_path, serve_portal, sqlite_url, monkeypatch, **crawl))
        return made[-1]

    yield make
    for portal in made:
        portal.db.dispose()


def _first_crawl(portal: Portal) -> None:
    summary = portal.crawl()
    assert summary.status == "ok" and summary.docs_new == len(portal.site.docs)
    assert {kind for kind, _ in portal.events()} == {"new"}


def test_a_revision_only_on_the_detail_page_is_seen_within_the_bound(portal_of) -> None:  # type: ignore[no-untyped-def]
    portal = portal_of(samples.synthetic_site("hanweb", 30, seed=41, page_size=10))
    _first_crawl(portal)
    target = portal.site.listed()[25]  # page 3 of the list: no incremental walk reaches it
    portal.site.edit_body(target.id, target.body[:12], target.body[:12] + "（修订）")

    soon = portal.crawl(2 * HOUR)  # right after the first crawl: a few revisits, no herd
    assert soon.docs_updated <= 1 and len(portal.details()) <= 3
    late = portal.crawl(7 * DAY - 2 * HOUR)  # the bound: every page has been due by now
    assert late.status == "ok" and late.docs_updated == 1
    assert [kind for kind, _ in portal.events()] == ["revised"]


def test_a_back_dated_document_on_page_3_is_found_by_the_next_deep_walk(portal_of) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site("trs", 30, seed=42, page_size=5)
    portal = portal_of(site)
    _first_crawl(portal)
    older = site.listed()[12]  # page 3 of 6
    late = Doc(id=site.next_id(), title="示范42县关于补发2019年农村义务教育学校布局规划的通知",
               body="各乡镇：\n现将布局规划补发如下。\n一、总体要求。\n二、工作安排。", published_date=older.published_date,
               index_no="1137-late-1", publisher="示范42县教育局")
    site.add_doc(late)
    soon = portal.crawl(2 * HOUR).docs_new  # found now only if this portal's deep walk was due
    later = portal.crawl(DAY).docs_new  # deep_walk_after later every list has been walked to its end
    assert soon + later == 1
    assert portal.events() == [("new", "新文件：" + late.title)]


def test_a_withdrawal_on_page_2_needs_a_deep_walk_and_two_checks(portal_of) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site("hanweb", 24, seed=43)
    site.options["perpage"] = 3  # the column page and each proxy page hold 3 × 3 = 9 records
    portal = portal_of(site)
    _first_crawl(portal)
    gone = site.listed()[12]  # page 2
    path = site.detail_path(gone.id)
    site.remove_doc(gone.id)
    next_deep = portal_freshness(portal.db, portal.now)[site.name].next_deep_walk
    assert next_deep is not None and portal.now < next_deep <= portal.now + DAY
    incremental = portal.crawl((next_deep - portal.now) / 2)  # before the deep walk is due
    assert incremental.status == "ok" and portal.source(path).missing_count == 0  # a walk that stopped: nothing said
    portal.crawl(DAY)  # deep walk: missing from a list walked to its end, and 404
    assert portal.source(path).missing_count == 1
    assert portal.events() == []  # once is not enough
    portal.crawl(DAY)
    assert portal.source(path).missing_count == 2
    assert [kind for kind, _ in portal.events()] == ["withdrawn"]


def test_an_abolition_only_on_the_detail_page_is_seen_on_a_revisit(portal_of) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site("hanweb", 20, seed=44, page_size=10)
    portal = portal_of(site)
    _first_crawl(portal)
    target = site.listed()[15]
    site.abolish(target.id)
    portal.crawl(7 * DAY)
    assert [kind for kind, _ in portal.events()] == ["abolished"]


def test_a_view_counter_never_makes_a_revision(portal_of) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site("trs", 15, seed=45, page_size=10)
    site.view_counter = True  # every fetch of a detail page shows another 浏览次数
    portal = portal_of(site)
    _first_crawl(portal)
    summary = portal.crawl(7 * DAY)
    assert len(portal.details()) >= 15  # every page was re-fetched (their counters changed)
    assert summary.docs_updated == 0
    assert portal.events() == []
    with portal.db.sessions() as session:
        assert len(session.scalars(select(Revision.id)).all()) == 15  # the first ones only


def test_a_permanently_truncated_page_is_stored_incomplete_then_completed(portal_of) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site("hanweb", 12, seed=46, page_size=10)
    portal = portal_of(site)
    _first_crawl(portal)
    doc = site.add_doc(Doc(id=site.next_id(), title="示范46县关于印发乡村学校校舍改造实施方案的通知",
                           body="各学校：\n现印发实施方案。\n一、改造范围。\n二、资金安排。", published_date=dt.date(2024, 12, 30),
                           index_no="1137-46-new", publisher="示范46县教育局"))
    site.faults.truncated.add(doc.id)
    first = portal.crawl(2 * HOUR)
    assert (first.docs_new, first.errors) == (0, 1)  # once may be a blip: retried as new
    second = portal.crawl(2 * HOUR)
    assert second.docs_new == 1  # twice running: stored from its list entry
    assert portal.events() == [("new", "新文件：" + doc.title)]
    with portal.db.sessions() as session:
        view = get_document(session, portal.source(doc.id).document_id)
    assert view is not None and view["incomplete"] and "truncated" in view["incomplete"]
    portal.crawl(2 * HOUR)  # retried (backoff: one cycle), still cut off
    assert portal.source(doc.id).failed_checks == 2
    site.faults.truncated.clear()
    fixed = portal.crawl(DAY)
    assert fixed.docs_updated == 1
    assert portal.events() == []  # completed: neither "revised" nor a second "new"
    with portal.db.sessions() as session:
        view = get_document(session, portal.source(doc.id).document_id)
    assert view is not None and view["incomplete"] is None and "改造范围" in view["body"]


def test_a_restart_revisits_what_another_process_planned(portal_of) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site("hanweb", 40, seed=47, page_size=10)
    portal = portal_of(site)
    _first_crawl(portal)
    at = T0 + 3 * DAY
    config = load_config(portal.config)
    settings = freshness_settings(config, config.portal(site.name))
    planned = RunFreshness(portal.db, site.name, settings, now=at).plan.chosen
    code = ("import sys, datetime as d; from crawler.revisits import RunFreshness, freshness_settings;"
            "from eduwatch.config import load_config; from storage.database import Database;"
            "c = load_config(sys.argv[1]); p = c.portal(sys.argv[2]);"
            "print(sorted(RunFreshness(Database(c.database.url), p.name, freshness_settings(c, p),"
            " now=d.datetime.fromisoformat(sys.argv[3])).plan.chosen))")
    other = subprocess.run([sys.executable, "-c", code, portal.config, site.name, at.isoformat()],
                           capture_output=True, text=True, check=True)
    assert other.stdout.strip() == str(sorted(planned))
    assert 0 < len(planned) < 40  # spread: part of the portal, not all of it
    portal.crawl(3 * DAY)
    assert sorted(portal.details()) == sorted(urlsplit(url).path for url in planned)
    status = portal_freshness(portal.db, at)[site.name]
    assert status.known == 40 and status.last_deep_walk is not None and status.next_deep_walk is not None
