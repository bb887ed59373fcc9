"""robots.txt kept across crawl runs (crawler.robots), asserted on what the local portal was asked.

Every test crawls a local imitation portal twice in real crawl subprocesses and reads the
site's request log. Between the runs the *server's* robots.txt changes, so the second run's
behaviour shows which copy the crawler obeyed: the one in the database or a fresh one.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Callable

import pytest

import localportals.server
from localportals import PortalServer, Site, samples
from localportals.pipeline import Request, handle
from storage.database import Database
from storage.models import utcnow
from storage.robots_cache import load_robots, origin_of, save_robots
from tests.crawler.crawl_support import crawl_with_items, write_config

ROBOTS = "/robots.txt"


def _targets(server: PortalServer) -> list[str]:
    return [r.target for r in server.log]


def _crawl(config: str, site: Site, items: Path) -> list[str]:
    """One crawl run; the URLs of the records it extracted."""
    _summaries, records = crawl_with_items(config, [site.name], items)
    return [record["url"] for record in records[site.name]]


def _stored(db_url: str, server: PortalServer):  # type: ignore[no-untyped-def]
    db = Database(db_url)
    try:
        return load_robots(db, origin_of(server.base_url))
    finally:
        db.dispose()


@pytest.fixture
def qingdao(serve_portal: Callable[[Site], PortalServer]) -> tuple[PortalServer, str]:
    """青岛市教育局 (TRS) whose robots.txt forbids one document; returns (server, that path)."""
    site = samples.qingdao_site()
    forbidden = site.detail_path(site.listed()[1].id)
    site.robots_disallow = [forbidden]
    return serve_portal(site), forbidden


def test_second_run_within_the_ttl_asks_no_robots_and_obeys_the_cached_rules(
        tmp_path: Path, sqlite_url: str, qingdao: tuple[PortalServer, str]) -> None:
    server, forbidden = qingdao
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])

    first = _crawl(config, server.site, tmp_path / "run1")
    assert _targets(server).count(ROBOTS) == 1
    assert forbidden not in _targets(server)
    assert len(first) == len(server.site.listed()) - 1
    stored = _stored(sqlite_url, server)
    assert stored is not None and stored.status == 200 and forbidden.encode() in stored.body

    server.site.robots_disallow = []  # the server would now allow it; the cached copy does not
    server.reset_log()
    _crawl(config, server.site, tmp_path / "run2")
    assert ROBOTS not in _targets(server)
    assert _targets(server)  # the list page was asked for
    assert forbidden not in _targets(server)


def test_an_expired_copy_is_fetched_again(tmp_path: Path, sqlite_url: str, qingdao: tuple[PortalServer, str]) -> None:
    server, forbidden = qingdao
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server], robots_cache_hours=2)
    _crawl(config, server.site, tmp_path / "run1")
    assert forbidden not in _targets(server)

    db = Database(sqlite_url)
    stored = load_robots(db, origin_of(server.base_url))
    assert stored is not None
    save_robots(db, dataclasses.replace(stored, fetched_at=utcnow() - timedelta(hours=2, minutes=1)))
    db.dispose()
    server.site.robots_disallow = []
    server.reset_log()

    second = _crawl(config, server.site, tmp_path / "run2")
    assert _targets(server).count(ROBOTS) == 1
    assert forbidden in _targets(server)  # the fresh robots.txt allows it, and it is new
    assert any(url.endswith(forbidden) for url in second)
    renewed = _stored(sqlite_url, server)
    assert renewed is not None and renewed.body == b"User-agent: *\nDisallow:\n"
    assert utcnow() - renewed.fetched_at < timedelta(minutes=5)


def test_zero_hours_asks_every_run(tmp_path: Path, sqlite_url: str, qingdao: tuple[PortalServer, str]) -> None:
    server, _forbidden = qingdao
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server], robots_cache_hours=0)
    _crawl(config, server.site, tmp_path / "run1")
    server.reset_log()
    _crawl(config, server.site, tmp_path / "run2")
    assert _targets(server).count(ROBOTS) == 1
    assert _stored(sqlite_url, server) is None


def test_full_run_refetches_robots(tmp_path: Path, sqlite_url: str, qingdao: tuple[PortalServer, str]) -> None:
    server, forbidden = qingdao
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    _crawl(config, server.site, tmp_path / "run1")
    server.site.robots_disallow = []
    server.reset_log()
    crawl_with_items(config, [server.site.name], tmp_path / "run2", "--full")
    assert _targets(server).count(ROBOTS) == 1
    assert forbidden in _targets(server)


def test_a_404_robots_is_cached_as_allow_all(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                                             serve_portal: Callable[[Site], PortalServer]) -> None:
    missing = {"robots": True}

    def answer(site: Site, request: Request) -> tuple[int, dict[str, str], bytes]:
        """The portal as it is, except that it has no robots.txt while ``missing`` says so."""
        status, headers, body = handle(site, request)  # logged by the site as usual
        if request.path == ROBOTS and missing["robots"]:
            return 404, {"Content-Type": "text/html"}, b"<html><body>Disallow: /\n404 Not Found</body></html>"
        return status, headers, body

    monkeypatch.setattr(localportals.server, "handle", answer)
    site = samples.qingdao_site()
    site.robots_disallow = ["/"]  # only ever seen if robots.txt were served
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])

    first = _crawl(config, site, tmp_path / "run1")
    assert len(first) == len(site.listed())  # 404: everything allowed, even "Disallow: /" in the page
    stored = _stored(sqlite_url, server)
    assert stored is not None and stored.status == 404

    missing["robots"] = False  # the server's robots.txt now forbids everything; the cached 404 still rules
    server.reset_log()
    added = dataclasses.replace(site.listed()[0], id=site.next_id(), title="青岛市教育局关于乡村学校课后服务的通知")
    site.add_doc(added)
    second = _crawl(config, site, tmp_path / "run2")
    assert ROBOTS not in _targets(server)
    assert site.detail_path(added.id) in _targets(server)
    assert any(url.endswith(site.detail_path(added.id)) for url in second)


def test_a_503_robots_is_not_cached(tmp_path: Path, sqlite_url: str, qingdao: tuple[PortalServer, str]) -> None:
    server, forbidden = qingdao
    server.site.faults.flaky[ROBOTS] = 1000  # robots.txt answers 503, every time
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server], retries=0)

    _crawl(config, server.site, tmp_path / "run1")
    assert [r.status for r in server.log if r.path == ROBOTS] == [503]
    assert forbidden in _targets(server)  # Scrapy's behaviour: a 5xx robots.txt forbids nothing
    assert _stored(sqlite_url, server) is None

    server.site.faults.flaky.clear()  # back on its feet: the next run asks again and obeys it
    server.site.robots_disallow = [server.site.detail_path(server.site.listed()[0].id)]
    server.reset_log()
    _crawl(config, server.site, tmp_path / "run2")
    assert [r.status for r in server.log if r.path == ROBOTS] == [200]
    stored = _stored(sqlite_url, server)
    assert stored is not None and stored.status == 200


def test_an_expired_copy_is_revalidated_with_a_conditional_get(
        tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
        serve_portal: Callable[[Site], PortalServer]) -> None:
    etag = '"robots-v1"'
    seen: list[dict[str, str]] = []

    def answer(site: Site, request: Request) -> tuple[int, dict[str, str], bytes]:
        """The portal with an ETag on robots.txt, answering 304 when it is still the same."""
        status, headers, body = handle(site, request)
        if request.path != ROBOTS:
            return status, headers, body
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return status, {**headers, "ETag": etag}, body

    monkeypatch.setattr(localportals.server, "handle", answer)
    site = samples.qingdao_site()
    forbidden = site.detail_path(site.listed()[1].id)
    site.robots_disallow = [forbidden]
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    _crawl(config, site, tmp_path / "run1")
    db = Database(sqlite_url)
    stored = load_robots(db, origin_of(server.base_url))
    assert stored is not None and stored.etag == etag
    save_robots(db, dataclasses.replace(stored, fetched_at=utcnow() - timedelta(hours=30)))
    db.dispose()

    site.robots_disallow = []  # the body would differ, but the server says 304: our copy stands
    server.reset_log()
    _crawl(config, site, tmp_path / "run2")
    assert seen[-1].get("If-None-Match") == etag
    assert _targets(server).count(ROBOTS) == 1
    assert forbidden not in _targets(server)
    renewed = _stored(sqlite_url, server)
    assert renewed is not None and renewed.body == stored.body and renewed.etag == etag
    assert utcnow() - renewed.fetched_at < timedelta(minutes=5)
