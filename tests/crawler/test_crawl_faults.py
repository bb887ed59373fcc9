"""Portals that misbehave: a 瑞数 challenge, a 503 that recovers, a truncated page, a 500, a list
that never answers, a crawl that hangs. Each is one portal's problem, recorded on its run;
the other portals of the same crawl carry on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select

from crawler.runner import run_crawl
from eduwatch.config import ConfigError
from localportals import PortalServer, samples
from storage.database import Database
from storage.models import CrawlRun, Document, Source
from tests.crawler.crawl_support import PROJECT_ROOT, by_path, crawl_with_items, requests_of, write_config

TRUNCATED, BROKEN = 1917053, 1917003  # huilai documents whose detail pages are cut in half / answer 500


class Faulty:
    def __init__(self, servers: dict[str, PortalServer], summaries: dict, items: dict, config: str, db_url: str,
                 items_dir: Path) -> None:
        self.servers, self.summaries, self.items = servers, summaries, items
        self.config, self.db_url, self.items_dir = config, db_url, items_dir


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faulty]:
    tmp = tmp_path_factory.mktemp("faults")
    blocked = samples.jieyang_site()
    blocked.faults.challenge = True  # every path answers the 412 challenge
    flaky = samples.huilai_site()
    flaky.faults.flaky["/gkmlpt/index"] = 1  # one 503, then fine
    flaky.faults.truncated.add(TRUNCATED)
    flaky.faults.error_500.add(BROKEN)
    midway = samples.qingdao_site()
    challenged = midway.listed()[2]
    midway.faults.challenge_paths.add(midway.detail_path(challenged.id))
    midway.faults.challenge_status = 200  # some installs answer 200 with the challenge page
    dead_list = samples.huantai_site()
    dead_list.faults.flaky[dead_list.family.list_paths(dead_list)[0]] = 10
    fine = samples.govcn_site()
    gone = samples.longchuan_site()  # served once to get a port, then stopped: connection refused
    servers = {s.name: PortalServer(s).start() for s in (blocked, flaky, midway, dead_list, fine, gone)}
    servers[gone.name].stop()
    db_url = f"sqlite:///{tmp / 'eduwatch.db'}"
    config = write_config(tmp / "eduwatch.toml", db_url, servers.values(), retries=1)
    summaries, items = crawl_with_items(config, list(servers), tmp / "items")
    result = Faulty(servers, {s.portal: s for s in summaries}, items, config, db_url, tmp / "items")
    result.challenged_path = midway.detail_path(challenged.id)  # type: ignore[attr-defined]
    yield result
    for server in servers.values():
        server.stop()


def _run(db_url: str, run_id: int) -> CrawlRun:
    db = Database(db_url)
    try:
        with db.sessions() as session:
            return session.get_one(CrawlRun, run_id)
    finally:
        db.dispose()


def test_challenge_blocks_that_portal_with_its_reason(faulty: Faulty) -> None:
    summary = faulty.summaries["jieyang_jyj"]
    assert summary.status == "blocked"
    assert summary.reason.startswith("challenge page at http://127.0.0.1:")
    assert "/jyj/gkmlpt/index" in summary.reason
    assert "瑞数 (Rivers Security) anti-bot challenge: HTTP 412" in summary.reason
    assert summary.docs_new == 0
    # robots.txt (also challenged) and the index page; nothing after the challenge.
    assert [(t, s) for _m, t, s in requests_of(faulty.servers["jieyang_jyj"])] == [
        ("/robots.txt", 412), ("/jyj/gkmlpt/index", 412)]
    run = _run(faulty.db_url, summary.run_id)
    assert (run.status, run.reason, run.finished_at is not None) == ("blocked", summary.reason, True)
    assert run.error_log and "challenge page" in run.error_log[0]["reason"]


def test_challenge_met_midway_stops_the_portal(faulty: Faulty) -> None:
    summary = faulty.summaries["qingdao_jyj"]
    path = faulty.challenged_path  # type: ignore[attr-defined]
    assert summary.status == "blocked"
    assert path in summary.reason and "HTTP 200 page without content" in summary.reason
    assert path not in by_path(faulty.items["qingdao_jyj"])
    log = requests_of(faulty.servers["qingdao_jyj"])
    at = [t for _m, t, _s in log].index(path)
    assert len(log) - at <= 2  # at most one request already on the wire when the challenge arrived


def test_other_portals_go_on(faulty: Faulty) -> None:
    summary = faulty.summaries["govcn"]
    assert (summary.status, summary.docs_new, summary.errors) == ("ok", 8, 0)


def test_503_then_ok_list_page_is_retried(faulty: Faulty) -> None:
    server = faulty.servers["huilai"]
    assert [s for _m, t, s in requests_of(server) if t == "/gkmlpt/index"] == [503, 200]
    summary = faulty.summaries["huilai"]
    assert summary.status == "ok" and summary.docs_new == 11


def test_truncated_and_500_pages_are_errors_on_their_urls_and_never_saved(faulty: Faulty) -> None:
    server = faulty.servers["huilai"]
    site = server.site
    summary = faulty.summaries["huilai"]
    assert summary.errors == 2
    run = _run(faulty.db_url, summary.run_id)
    reasons = {entry["url"].split(":", 2)[-1].split("/", 1)[-1]: entry["reason"] for entry in run.error_log}
    assert reasons == {
        site.detail_path(TRUNCATED).lstrip("/"):
            "truncated: the connection closed before the announced Content-Length (data loss)",
        site.detail_path(BROKEN).lstrip("/"): "HTTP 500",
    }
    assert [s for _m, t, s in requests_of(server) if t == site.detail_path(BROKEN)] == [500, 500]  # retries = 1
    assert len([t for _m, t, _s in requests_of(server) if t == site.detail_path(TRUNCATED)]) == 2  # data loss is retried
    saved = by_path(faulty.items["huilai"])
    assert site.detail_path(TRUNCATED) not in saved and site.detail_path(BROKEN) not in saved
    db = Database(faulty.db_url)
    with db.sessions() as session:
        titles = set(session.scalars(select(Document.title)))
        assert site.doc(TRUNCATED).title not in titles and site.doc(BROKEN).title not in titles
    db.dispose()


def test_list_that_never_answers_fails_the_run(faulty: Faulty) -> None:
    summary = faulty.summaries["huantai"]
    assert summary.status == "failed"
    assert summary.reason.startswith("1 list page(s) could not be read: http://127.0.0.1:")
    assert summary.reason.endswith(": HTTP 503")
    assert [s for _m, t, s in requests_of(faulty.servers["huantai"]) if t != "/robots.txt"] == [503, 503]


def test_unreachable_portal_fails_with_the_reason(faulty: Faulty) -> None:
    summary = faulty.summaries["longchuan_jyj"]
    assert (summary.status, summary.pages_fetched, summary.docs_new) == ("failed", 0, 0)
    assert summary.reason.startswith("nothing could be fetched (DownloadConnectionRefusedError")


def test_pages_that_failed_are_fetched_on_the_next_crawl(faulty: Faulty) -> None:
    server = faulty.servers["huilai"]
    server.site.faults.truncated.clear()
    server.site.faults.error_500.clear()
    server.reset_log()
    summaries, _items = crawl_with_items(faulty.config, ["huilai"], faulty.items_dir / "again")
    assert [(s.status, s.docs_new, s.errors) for s in summaries] == [("ok", 2, 0)]
    details = sorted(t for _m, t, _s in requests_of(server) if "/content/" in t)
    assert details == sorted(server.site.detail_path(i) for i in (TRUNCATED, BROKEN))


def test_time_limit_closes_the_crawl_and_keeps_what_it_saved(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    server = serve_portal(samples.huilai_site())
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server], delay=0.3)  # ~7 s of polite crawling
    [summary] = run_crawl(config, ["huilai"], timeout=1.0)
    assert summary.status == "failed"
    assert summary.reason == "crawl time limit of 1 s reached before the crawl finished"
    assert 0 < summary.pages_fetched < 23 and summary.docs_new < 13
    run = _run(sqlite_url, summary.run_id)
    assert (run.status, run.reason, run.docs_new) == ("failed", summary.reason, summary.docs_new)


def test_a_child_that_does_not_finish_is_killed_and_its_run_recorded_failed(
    tmp_path: Path, serve_portal, sqlite_url: str, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    import crawler.runner

    monkeypatch.setattr(crawler.runner, "KILL_GRACE", 0.0)  # no grace: the child is stopped at the limit
    server = serve_portal(samples.huilai_site())
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    lines: list[str] = []
    [summary] = run_crawl(config, ["huilai"], timeout=0.2, progress=lines.append)
    assert summary.status == "failed"
    assert summary.reason == "crawl process did not finish within 0.2 s and was killed"
    assert lines[-1] == f"huilai: failed ({summary.reason})"
    run = _run(sqlite_url, summary.run_id)
    assert (run.status, run.reason) == ("failed", summary.reason) and run.finished_at is not None


def test_unknown_portal_is_a_config_error_and_starts_nothing(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    server = serve_portal(samples.huilai_site())
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    with pytest.raises(ConfigError, match="no portal named 'nowhere'"):
        run_crawl(config, ["huilai", "nowhere"])
    assert server.log == []


def test_run_crawl_streams_progress_and_returns_summaries(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    server = serve_portal(samples.govcn_site())
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    lines: list[str] = []
    [summary] = run_crawl(config, ["govcn"], trigger="schedule", progress=lines.append)
    assert lines == [f"govcn: started (govcn, run {summary.run_id})",
                     "govcn: ok — 8 new, 0 updated, 10 pages, 0 errors"]
    run = _run(sqlite_url, summary.run_id)
    assert (run.trigger, run.status, run.pages_fetched, run.docs_new) == ("schedule", "ok", 10, 8)


def test_scrapy_crawl_command_works(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    server = serve_portal(samples.huilai_site())
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    env = {**os.environ, "EDUWATCH_CONFIG": config, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "gkmlpt", "-a", "portal=huilai", "-L", "WARNING"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    db = Database(sqlite_url)
    with db.sessions() as session:
        [run] = session.scalars(select(CrawlRun)).all()
        assert (run.status, run.docs_new, run.trigger) == ("ok", 13, "manual")
        assert len(session.scalars(select(Source)).all()) == 13
    db.dispose()


def test_oversized_attachment_is_listed_with_the_reason_and_not_downloaded(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    server = serve_portal(samples.longchuan_site())
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server], max_attachment_bytes=1000)
    [summary], items = crawl_with_items(config, ["longchuan_jyj"], tmp_path / "items")
    assert (summary.status, summary.errors) == ("ok", 0)
    item = by_path(items["longchuan_jyj"])[server.site.detail_path(1214872)]
    [attachment] = item["attachments"]
    assert attachment["name"] == "龙川县加快推进城乡教育优质均衡发展全力提升乡镇教育教学水平实施方案.docx"
    assert (attachment["type"], attachment["text"], attachment["error"]) == ("docx", None, "larger than 1000 bytes")
    assert item["body"].startswith("详见附件")  # nothing to take the body from: the page's own words stay
