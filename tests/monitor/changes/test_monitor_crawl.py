"""Crawl two local portals, change them the ways real portals change, and check the exact events.

Real parts only: the local imitation portals over HTTP (localportals), the crawler in its own
process (crawler.runner.run_crawl), the store on SQLite, then monitor.changes.revisions.run_monitor.

What an incremental crawl can see, and so what this test expects when:
- a changed title or a new list entry shows on the list page: the next incremental crawl;
- an edited body or a changed 有效性 does not touch the list: the crawler does not refetch the
  detail page until a ``--full`` crawl (or until the portal bumps the list date, as real
  portals do on re-publication). The test asserts that the incremental crawl misses it and the
  full crawl reports it;
- a removed document is probed (404) once per crawl and is withdrawn at the second probe.
The view counter grows on every request of every detail page; it must never make an event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import select

from crawler.runner import run_crawl
from localportals import PortalServer, Site, samples
from monitor.changes.events import list_events
from monitor.changes.revisions import MonitorReport, run_monitor
from storage.database import Database
from storage.models import CrawlRun, Document, Portal, Revision, Source
from tests.crawler.crawl_support import write_config

PLAN = 1931056  # 惠来 plan (seed 001) on huilai
REPOST = 2104417  # the same plan on 揭阳市教育局, held back until the repost step
RETITLED = 1917053
ABOLISHED = 1917003  # 有效 at first
REMOVED = 1917478
PORTALS = ["huilai", "jieyang_jyj"]

pytestmark = pytest.mark.slow


def _crawl_and_monitor(config: str, db: Database, *, full: bool = False) -> tuple[MonitorReport, dict[str, int]]:
    summaries = run_crawl(config, PORTALS, full=full)
    assert [(s.portal, s.status, s.errors) for s in summaries] == [("huilai", "ok", 0), ("jieyang_jyj", "ok", 0)]
    report = run_monitor(db)
    assert report.failed == {}
    return report, {s.portal: s.run_id for s in summaries}


def _events(db: Database, report: MonitorReport) -> list[tuple[str, str, str]]:
    """(kind, portal, summary) of the events of one pass, sorted (document ids follow crawl order)."""
    with db.sessions() as session:
        portals = dict(session.execute(select(Portal.id, Portal.name)).all())
    return sorted((e.kind, portals.get(e.portal_id, ""), e.summary) for e in list_events(db) if e.id in report.event_ids)


def test_crawl_mutate_crawl_gives_exactly_the_expected_events(
    tmp_path: Path, serve_portal: Callable[[Site], PortalServer], sqlite_url: str
) -> None:
    huilai_site = samples.huilai_site()
    huilai_site.view_counter = True
    jieyang_site = samples.jieyang_site()
    repost = jieyang_site.doc(REPOST)
    jieyang_site.docs.remove(repost)
    huilai, jieyang = serve_portal(huilai_site), serve_portal(jieyang_site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [huilai, jieyang])
    db = Database(sqlite_url)

    # 1. First crawl: every listed document is new, nothing else.
    report, _ = _crawl_and_monitor(config, db)
    assert {k: v for k, v in report.counts.items() if v} == {"new": 18} and report.revisions == 18
    assert {portal for _, portal, _ in _events(db, report)} == {"huilai", "jieyang_jyj"}

    # 2. Unchanged portal, incremental and full (every detail page refetched, every counter grown).
    report, _ = _crawl_and_monitor(config, db)
    assert (report.events, report.revisions) == (0, 0)
    views_before = huilai_site.doc(PLAN).views
    report, _ = _crawl_and_monitor(config, db, full=True)
    assert huilai_site.doc(PLAN).views > views_before >= 1, "the counter really changed between fetches"
    assert (report.events, report.revisions) == (0, 0)

    # 3. The portals change.
    huilai_site.edit_body(PLAN, "到2025年,建成至少1个城乡教育共同体", "到2025年,建成至少2个城乡教育共同体")
    retitled = huilai_site.set_title(RETITLED, "惠来县果田镇农村生活污水治理项目招标公告（更正）")
    abolished = huilai_site.abolish(ABOLISHED, "失效")
    removed = huilai_site.remove_doc(REMOVED)
    jieyang_site.add_doc(repost)

    # 4. Incremental crawl: what the lists show (new title, the API's 失效 flag, new repost
    #    entry); one 404 probe. The body edit shows in no list.
    report, runs = _crawl_and_monitor(config, db)
    assert sorted(_events(db, report)) == sorted([
        ("abolished", "huilai", f"已失效：{abolished.title}"),
        ("metadata_changed", "huilai", f"标题：惠来县果田镇农村生活污水治理项目招标公告 → {retitled.title}"),
        ("reposted", "jieyang_jyj", f"转载：{samples.HUILAI_TITLE}（揭阳市教育局）"),
    ])
    events = {e.kind: e for e in list_events(db) if e.id in report.event_ids}
    assert events["metadata_changed"].crawl_run_id == runs["huilai"]
    assert events["reposted"].crawl_run_id == runs["jieyang_jyj"]
    assert events["reposted"].is_rural_plan is True

    # 5. Full crawl: the body edit is fetched; the second 404 withdraws.
    report, runs = _crawl_and_monitor(config, db, full=True)
    assert _events(db, report) == [
        # The body moved a commitment; the attachment table still states the old one (≥1 个).
        ("commitment_changed", "huilai", f"承诺变更：{samples.HUILAI_TITLE}：新增：建成城乡教育共同体 ≥2个（2025-12-31）"),
        ("revised", "huilai",
         "二、主要任务(三)实施教育改革提质工程,提高管理水…13.创建城乡教育共同体："
         "建成至少1个城乡教育共同体 → 建成至少2个城乡教育共同体"),
        ("withdrawn", "huilai", f"已撤回：{removed.title}（惠来县人民政府）"),
    ]
    revised = next(e for e in list_events(db) if e.id in report.event_ids and e.kind == "revised")
    assert revised.details["html"] == "到2025年,建成至少<del>1</del><ins>2</ins>个城乡教育共同体。"
    assert (revised.details["from_revision"], revised.details["to_revision"]) == (1, 2)
    assert revised.crawl_run_id == runs["huilai"] and revised.is_rural_plan is True

    # 6. Nothing changes any more: nothing is reported, and the counter keeps growing.
    report, _ = _crawl_and_monitor(config, db)
    assert (report.events, report.revisions) == (0, 0)

    with db.sessions() as session:
        plan = session.scalars(select(Document).where(Document.title == samples.HUILAI_TITLE)).one()
        assert [r.number for r in session.scalars(select(Revision).where(Revision.document_id == plan.id))] == [1, 2]
        assert len(plan.sources) == 2 and all(s.announced for s in plan.sources)
        gone = session.scalars(select(Source).where(Source.url.endswith(f"post_{REMOVED}.html"))).one()
        assert gone.withdrawn is True and gone.missing_count == 2
        assert all(run.monitored for run in session.scalars(select(CrawlRun)))
    db.dispose()
