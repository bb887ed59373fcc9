"""Incremental crawling, asserted on the exact requests each portal received.

A re-crawl of an unchanged portal costs its list pages, nothing else (robots.txt is cached); after one
document is added it costs those plus that one detail page. Conditional GETs, ``--full``
and withdrawal probes are checked the same way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from crawler.runner import run_crawl
from localportals import Doc, PortalServer, samples
from storage.database import Database
from storage.models import Source
from tests.crawler.crawl_support import requests_of, write_config

D = dt.date


def _list_only(server: PortalServer) -> list[tuple[str, str, int]]:
    return [r for r in requests_of(server) if not _is_list_or_robots(server, r[1])]


def _is_list_or_robots(server: PortalServer, target: str) -> bool:
    family = server.site.family_name
    path = target.split("?", 1)[0]
    if path == "/robots.txt":
        return True
    if family == "gkmlpt":
        return path.endswith("/gkmlpt/index") or "/gkmlpt/api/all/" in path
    if family == "hanweb":
        return path.startswith("/col/") or path.endswith("dataproxy.jsp")
    if family == "trs":
        return path.rsplit("/", 1)[-1].startswith("index")
    if family == "govcn":
        return path in ("/zhengce/zuixin.htm", "/zhengce/zuixin/ZUIXINZHENGCE.json")
    return path.rsplit("/", 1)[-1].startswith("index")


def _five_portals(serve_portal) -> dict[str, PortalServer]:  # type: ignore[no-untyped-def]
    hanweb = samples.huantai_jyt_site()
    hanweb.options["perpage"] = 3
    sites = [samples.huilai_site(), hanweb, samples.qingdao_site(), samples.govcn_site(), samples.huantai_site()]
    return {site.family_name: serve_portal(site) for site in sites}


def _new_doc(server: PortalServer, day: D) -> Doc:
    """A new notice, different on every portal (so each portal reports one new document)."""
    site = server.site
    unit = f"{site.title}教育局"
    doc = Doc(id=site.next_id(), title=f"{unit}关于做好2024年乡村学校教师培训工作的通知", category="教育",
              body=f"各学校：\n现就做好2024年乡村学校教师培训工作通知如下。\n一、培训对象。\n二、培训安排。\n{unit}",
              published_date=day, written_date=day, index_no=f"{site.name}/{day.year}-99999",
              doc_no=f"{site.name}教〔{day.year}〕99号", publisher=unit)
    return site.add_doc(doc)


def test_second_crawl_fetches_list_pages_only_then_only_the_new_document(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    servers = _five_portals(serve_portal)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, servers.values())
    portals = [s.site.name for s in servers.values()]

    first = run_crawl(config, portals)
    assert {s.status for s in first} == {"ok"}
    full_counts = {f: len(s.log) for f, s in servers.items()}
    for server in servers.values():
        server.reset_log()

    second = run_crawl(config, portals)
    assert [(s.status, s.docs_new, s.docs_updated, s.errors) for s in second] == [("ok", 0, 0, 0)] * 5
    incremental_counts = {f: len(s.log) for f, s in servers.items()}
    for family, server in servers.items():
        assert _list_only(server) == [], family  # no detail page, attachment or probe
    # The first list page of every list, and no second page (it brought nothing new).
    assert [t for _m, t, _s in requests_of(servers["hanweb"])] == ["/col/col18573/index.html"]
    assert [t for _m, t, _s in requests_of(servers["trs"])] == ["/zwgk/xxgk/jyj/gkml/gwfg/index.shtml"]
    assert sorted(t for _m, t, _s in requests_of(servers["govcn"])) == [
        "/zhengce/zuixin.htm", "/zhengce/zuixin/ZUIXINZHENGCE.json"]
    generic_root = servers["generic"].site.list_urls()[0].split("://", 1)[1].split("/", 1)[1]
    assert [t for _m, t, _s in requests_of(servers["generic"])] == ["/" + generic_root]
    gkmlpt = [t for _m, t, _s in requests_of(servers["gkmlpt"])]
    assert gkmlpt[:1] == ["/gkmlpt/index"]
    assert gkmlpt[1:] and all("/gkmlpt/api/all/" in t and "page=1&" in t for t in gkmlpt[1:])
    print("requests, full crawl:", full_counts)
    print("requests, unchanged re-crawl:", incremental_counts)
    unchanged_lists = {f: sorted(t for _m, t, _s in requests_of(s) if _is_list_or_robots(s, t)) for f, s in servers.items()}

    added = {family: _new_doc(server, D(2024, 3, 1)) for family, server in servers.items()}
    for server in servers.values():
        server.reset_log()
    third = run_crawl(config, portals)
    assert [(s.status, s.docs_new, s.errors) for s in third] == [("ok", 1, 0)] * 5
    for family, server in servers.items():
        details = [t for _m, t, _s in _list_only(server)]
        assert details == [server.site.detail_path(added[family].id)], family
        # The new notice tops page 1 but the page's last (oldest) entry is known: no page 2.
        lists = sorted(t for _m, t, _s in requests_of(server) if _is_list_or_robots(server, t))
        assert lists == unchanged_lists[family], family
    print("requests, one document added:", {f: len(s.log) for f, s in servers.items()})


def test_conditional_gets_on_lists_and_revisited_details(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.huilai_site()
    site.conditional = True
    server = serve_portal(site)
    # revisit_after 1 s: every known detail page is due for a conditional revisit on the next crawl.
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server], revisit_after="1s")
    assert run_crawl(config, ["huilai"])[0].docs_new == 13
    server.reset_log()

    [summary] = run_crawl(config, ["huilai"])
    assert (summary.status, summary.docs_new, summary.docs_updated) == ("ok", 0, 0)
    log = [r for r in server.log if r.path != "/robots.txt"]
    lists = [r for r in log if "/content/" not in r.path]
    details = [r for r in log if "/content/" in r.path]
    assert lists and all(r.status == 304 and r.headers.get("If-None-Match") for r in lists)
    assert len(details) == 13
    assert all(r.status == 304 and r.headers.get("If-None-Match") and r.headers.get("If-Modified-Since") for r in details)
    with Database(sqlite_url).sessions() as session:
        fetched = session.scalars(select(Source.last_fetched)).all()
        assert len(fetched) == 13 and all(fetched)

    site.edit_body(1931056, "一、目标要求", "一、总体目标")
    server.reset_log()
    [summary] = run_crawl(config, ["huilai"])
    assert (summary.docs_new, summary.docs_updated) == (0, 1)
    changed = [r for r in server.log if r.status == 200 and "/content/" in r.path]
    assert [r.path for r in changed] == [site.detail_path(1931056)]


def test_full_refetches_everything_without_conditional_headers(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.huilai_site()
    site.conditional = True
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    run_crawl(config, ["huilai"])
    first = sorted(r.target for r in server.log)
    server.reset_log()
    [summary] = run_crawl(config, ["huilai"], full=True)
    assert (summary.status, summary.docs_new, summary.docs_updated) == ("ok", 0, 0)
    assert sorted(r.target for r in server.log) == first
    assert all(r.status == 200 for r in server.log)
    assert not any("If-None-Match" in r.headers or "If-Modified-Since" in r.headers for r in server.log)


def test_document_gone_from_lists_is_probed_until_withdrawn(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.huilai_site()
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    run_crawl(config, ["huilai"])
    newest = site.listed()[0]
    path = site.detail_path(newest.id)
    site.remove_doc(newest.id)
    db = Database(sqlite_url)
    for crawl_number in (1, 2):
        server.reset_log()
        [summary] = run_crawl(config, ["huilai"])
        assert (summary.status, summary.errors) == ("ok", 0)
        assert [(r.path, r.status) for r in server.log if "/content/" in r.path] == [(path, 404)]
        with db.sessions() as session:
            source = session.scalars(select(Source).where(Source.url.endswith(path))).one()
            assert (source.missing_count, source.http_status) == (crawl_number, 404)
    db.dispose()
