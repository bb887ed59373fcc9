"""Real-world variants of the five families (shared/notes/platforms.md), each crawled on a local portal.

Every variant is an option of the imitation portal, off by default; these tests switch it on
and check that the crawl finds every document, records no error that is not one, and ends.
"""

from __future__ import annotations

import datetime as dt
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest

from crawler.spiders.gkmlpt import trusted_post_url
from localportals import PortalServer, samples
from storage.database import Database
from storage.models import CrawlRun
from tests.crawler.crawl_support import by_path, crawl_with_items, requests_of, write_config

def _error_log(db_url: str, run_id: int) -> list[tuple[str, str]]:
    db = Database(db_url)
    try:
        with db.sessions() as session:
            return [(e["url"], e["reason"]) for e in session.get_one(CrawlRun, run_id).error_log or []]
    finally:
        db.dispose()


# --- 1. truncated pages ---------------------------------------------------------------------


def test_pages_without_end_tags_are_whole_and_saved(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    """Portals that never write </body></html> lose nothing: every family, every document."""
    sites = [samples.huilai_site(), samples.huantai_jyt_site(), samples.qingdao_site(), samples.govcn_site(),
             samples.huantai_site()]
    servers = []
    for site in sites:
        site.options["omit_end_tags"] = True
        servers.append(serve_portal(site))
    sample = servers[0].site
    served = urllib.request.urlopen(sample.url(1931056), timeout=10).read().decode("utf-8")
    assert "</html>" not in served and "</body>" not in served
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, servers)
    summaries, items = crawl_with_items(config, [s.name for s in sites], tmp_path / "items")
    for summary, server in zip(summaries, servers):
        site = server.site
        assert (summary.portal, summary.status, summary.errors) == (site.name, "ok", 0)
        assert {site.detail_path(d.id) for d in site.listed()} <= set(by_path(items[site.name])), site.name
    plan = by_path(items["huilai"])[sample.detail_path(1931056)]
    assert plan["body"].rstrip().endswith(sample.doc(1931056).body.splitlines()[-1].strip())


def test_honestly_short_page_is_caught_by_the_html_heuristic(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    """A CMS that crashed mid-template sends a valid, short response: the open body container gives it away."""
    site = samples.qingdao_site()
    site.faults.truncation = "short"
    inside, before = 6310466, 6301672  # the long seed is cut inside its body, a short notice before it
    site.faults.truncated.update({inside, before})
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    [summary], items = crawl_with_items(config, [site.name], tmp_path / "items")
    assert (summary.status, summary.errors) == ("ok", 2)
    assert sorted(_error_log(sqlite_url, summary.run_id)) == sorted([
        (site.url(inside), "detail page is truncated (body container never closed, no </body>)"),
        (site.url(before), "detail page is truncated (ends before its body container, no </body>)")])
    saved = by_path(items[site.name])
    assert site.detail_path(inside) not in saved and site.detail_path(before) not in saved
    assert len(saved) == len(site.listed()) - 2


def test_truncated_attachment_is_listed_with_the_reason(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.longchuan_site()
    doc = site.doc(1214872)  # its body is "详见附件": the text would come from the .docx
    [attachment] = doc.attachments
    site.faults.truncated.add(site.family.attachment_path(site, doc, attachment.id, attachment.type))
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server], retries=0)
    [summary], items = crawl_with_items(config, [site.name], tmp_path / "items")
    assert (summary.status, summary.errors) == ("ok", 0)
    item = by_path(items[site.name])[site.detail_path(doc.id)]
    [listed] = item["attachments"]
    assert (listed["text"], listed["error"]) == (
        None, "download failed: truncated (the connection closed before the announced Content-Length)")
    assert item["body"].startswith("详见附件")


# --- 2. gkmlpt paging variants ----------------------------------------------------------------


def _one_category_site(**options: object):  # type: ignore[no-untyped-def]
    """惠来 with all 13 posts filed under 通知公告: one API list of 13, five per page."""
    site = samples.huilai_site()
    for doc in site.docs:
        doc.category = "通知公告"
    site.options.update(options)
    return site


def _api_pages(server: PortalServer) -> list[tuple[str, int]]:
    return [(t.split("?", 1)[1].split("&", 1)[0], s) for _m, t, s in requests_of(server) if "/gkmlpt/api/" in t]


def _path(doc) -> str:  # type: ignore[no-untyped-def]
    """A gkmlpt post's path (for a document no longer on the site)."""
    return f"/gkmlpt/content/{doc.id // 1000000}/{doc.id // 1000}/post_{doc.id}.html"


def test_gkmlpt_100_per_page_page_past_the_end_repeats_the_last_no_total(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    """Page 0 = page 1, a page past the end answers the last page again, no total: no double save, no loop."""
    site = _one_category_site(api_page_size=100, api_past_end="last", api_total=False)
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    [summary], items = crawl_with_items(config, [site.name], tmp_path / "items")
    assert (summary.status, summary.errors, summary.docs_new) == ("ok", 0, 13)
    assert _api_pages(server) == [("page=1", 200), ("page=2", 200)]  # page 2 repeated page 1: the end
    assert sorted(by_path(items[site.name])) == sorted(site.detail_path(d.id) for d in site.docs)
    details = [t for _m, t, _s in requests_of(server) if "/content/" in t]
    assert len(details) == len(set(details)) == 13


def test_gkmlpt_one_page_only_then_404_ends_cleanly(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = _one_category_site(api_pages=1)
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    [summary], items = crawl_with_items(config, [site.name], tmp_path / "items")
    assert (summary.status, summary.reason, summary.errors, summary.docs_new) == ("ok", None, 0, 5)
    assert _api_pages(server) == [("page=1", 200), ("page=2", 404)]
    assert _error_log(sqlite_url, summary.run_id) == []
    assert sorted(by_path(items[site.name])) == sorted(site.detail_path(d.id) for d in site.listed()[:5])


def test_gkmlpt_api_window_older_posts_are_not_probed_as_withdrawn(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    """The API comes to show only its 6 newest posts: the 7 older ones are out of view, not gone."""
    site = _one_category_site()
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    [first], _ = crawl_with_items(config, [site.name], tmp_path / "items1")
    assert (first.status, first.docs_new) == ("ok", 13)
    site.options["api_window"] = 6
    newest = site.listed()[0]
    fresh = site.add_doc(replace(newest, id=site.next_id(), title="惠来县关于做好2024年春季学期开学工作的通知",
                                 published_date=newest.published_date + dt.timedelta(days=3), list_date=None,
                                 index_no="114452240070359782/2023-09999", attachments=[]))
    gone = site.listed()[3]  # inside the window: really withdrawn
    site.remove_doc(gone.id)
    server.reset_log()
    [second], _ = crawl_with_items(config, [site.name], tmp_path / "items2")
    assert (second.status, second.errors, second.docs_new) == ("ok", 0, 1)
    # Page 1 ends on a known post (lists are newest first): page 2 cannot hold anything new.
    assert _api_pages(server) == [("page=1", 200)]
    contents = sorted((t, s) for _m, t, s in requests_of(server) if "/content/" in t)
    assert contents == sorted([(site.detail_path(fresh.id), 200), (_path(gone), 404)])


# --- 3. hanweb dataproxy variants -------------------------------------------------------------

OLD_PROXY = "/module/jslib/jquery/jpage/dataproxy.jsp"
HANWEB_VARIANTS = {
    "hw_old_path": {"proxy_path": OLD_PROXY},  # the jpage script names the older path
    "hw_old_unnamed": {"proxy_path": OLD_PROXY, "proxy_in_script": False, "nextgroup": False},
    "hw_post_405": {"proxy_post": "405"},
    "hw_post_empty": {"proxy_post": "empty"},
}


@pytest.fixture(scope="module")
def hanweb_variants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, PortalServer], dict, dict, str]]:
    tmp = tmp_path_factory.mktemp("hanweb_variants")
    servers = {}
    for name, options in HANWEB_VARIANTS.items():
        site = samples.huantai_jyt_site()
        site.name = name
        site.options.update(perpage=3, **options)  # 17 records: 9 on the column page, 8 through dataproxy.jsp
        servers[name] = PortalServer(site).start()
    db_url = f"sqlite:///{tmp / 'eduwatch.db'}"
    config = write_config(tmp / "eduwatch.toml", db_url, servers.values())
    summaries, items = crawl_with_items(config, list(servers), tmp / "items")
    yield servers, {s.portal: s for s in summaries}, items, db_url
    for server in servers.values():
        server.stop()


def _proxy_calls(server: PortalServer) -> list[tuple[str, str, int]]:
    return [(r.method, r.target.split("?", 1)[0] + ("?page=" + r.target.split("page=", 1)[1].split("&", 1)[0]
                                                    if r.method == "GET" else ""), r.status)
            for r in server.log if "dataproxy.jsp" in r.path]


@pytest.mark.parametrize("portal", list(HANWEB_VARIANTS))
def test_hanweb_variant_lists_every_record(hanweb_variants, portal: str) -> None:  # type: ignore[no-untyped-def]
    servers, summaries, items, db_url = hanweb_variants
    summary = summaries[portal]
    assert (summary.status, summary.reason, summary.errors) == ("ok", None, 0)
    assert _error_log(db_url, summary.run_id) == []
    site = servers[portal].site
    listed = {href for _day, href, _doc in site.family.records(site)}
    assert len(listed) == 17 and set(by_path(items[portal])) == listed


def test_hanweb_dataproxy_ways_in(hanweb_variants) -> None:  # type: ignore[no-untyped-def]
    servers = hanweb_variants[0]
    assert _proxy_calls(servers["hw_old_path"]) == [("POST", OLD_PROXY, 200)]
    assert _proxy_calls(servers["hw_old_unnamed"]) == [
        ("POST", "/module/web/jpage/dataproxy.jsp", 404), ("POST", OLD_PROXY, 200)]
    get_pages = [("GET", "/module/web/jpage/dataproxy.jsp?page=4", 200), ("GET", "/module/web/jpage/dataproxy.jsp?page=5", 200),
                 ("GET", "/module/web/jpage/dataproxy.jsp?page=6", 200)]
    assert _proxy_calls(servers["hw_post_405"]) == [("POST", "/module/web/jpage/dataproxy.jsp", 405)] + get_pages
    assert _proxy_calls(servers["hw_post_empty"]) == [("POST", "/module/web/jpage/dataproxy.jsp", 200)] + get_pages


# --- 4. TRS variants --------------------------------------------------------------------------

MULTI_PAGE = 6310466  # the 青岛 seed plan, served over three pages


def _body_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_trs_count_page_html_lists_stub_pages_and_a_multi_page_article(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.qingdao_site()
    site.options.update(pager="countPage", list_ext="html", stub_pages=20)
    site.doc(MULTI_PAGE).flags["pages"] = 3
    plain = samples.qingdao_site()
    plain.name = "qingdao_html"
    plain.options["ext"] = "html"  # .html lists and details
    servers = [serve_portal(site), serve_portal(plain)]
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, servers)
    summaries, items = crawl_with_items(config, [site.name, plain.name], tmp_path / "items")
    for summary, server in zip(summaries, servers):
        assert (summary.status, summary.reason, summary.errors) == ("ok", None, 0), summary.portal
        expected = {server.site.detail_path(d.id) for d in server.site.listed()}
        assert len(expected) == 12 and set(by_path(items[summary.portal])) == expected, summary.portal
    lists = [t for _m, t, _s in requests_of(servers[0]) if "/index" in t]
    root = site.options["list_path"]
    # three real pages, then one stub that only repeats the pinned document: the end (not 23 pages)
    assert lists == [f"{root}/index.html", f"{root}/index_1.html", f"{root}/index_2.html", f"{root}/index_3.html"]
    first = site.detail_path(MULTI_PAGE)
    article = by_path(items[site.name])[first]
    assert _body_lines(article["body"]) == _body_lines(site.doc(MULTI_PAGE).body)
    more = [first.replace(".shtml", f"_{k}.shtml") for k in (1, 2)]
    assert [t for _m, t, _s in requests_of(servers[0]) if t.startswith(first[:-6])] == [first] + more
    assert not any(p in by_path(items[site.name]) for p in more)
    assert article["title"] == site.doc(MULTI_PAGE).title


def test_trs_multi_page_article_with_a_missing_page_is_an_error_not_half_a_body(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.qingdao_site()
    site.doc(MULTI_PAGE).flags["pages"] = 3
    second = site.detail_path(MULTI_PAGE).replace(".shtml", "_1.shtml")
    site.faults.error_500.add(second)
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server], retries=0)
    [summary], items = crawl_with_items(config, [site.name], tmp_path / "items")
    assert (summary.status, summary.errors) == ("ok", 1)
    assert _error_log(sqlite_url, summary.run_id) == [
        (site.url(MULTI_PAGE), f"article page 2 of 3 could not be read: {server.root_url}{second}: HTTP 500")]
    assert site.detail_path(MULTI_PAGE) not in by_path(items[site.name])


# --- 5. WAF cookie 302 ------------------------------------------------------------------------


def test_waf_cookie_redirect_to_the_same_url_is_followed_with_the_cookie(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.qingdao_site()
    site.faults.cookie_redirect = "once"
    every = samples.qingdao_site()
    every.name = "qingdao_every_path"
    every.faults.cookie_redirect = "per_path"  # list and detail pages too are redirected to themselves once
    other = serve_portal(every)
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server, other])
    summaries, items = crawl_with_items(config, [site.name, every.name], tmp_path / "items")
    for summary, portal in zip(summaries, (site, every)):
        assert (summary.status, summary.reason, summary.errors) == ("ok", None, 0), portal.name
        assert set(by_path(items[portal.name])) == {portal.detail_path(d.id) for d in portal.listed()}
    log = [(r.target, r.status, "HWWAFSESID=" in r.headers.get("Cookie", "")) for r in server.log]
    assert log[:2] == [("/robots.txt", 302, False), ("/robots.txt", 200, True)]
    assert [entry for entry in log[2:] if entry[1] == 302] == []  # the jar carries the cookie from then on
    answered: dict[str, list[int]] = {}
    for r in other.log:
        answered.setdefault(r.target, []).append(r.status)
    assert set(map(tuple, answered.values())) == {(302, 200)}  # each page: redirected once, then served


def test_waf_redirect_loop_ends_with_a_clear_error(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.qingdao_site()
    site.faults.cookie_redirect = "loop"
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    [summary], items = crawl_with_items(config, [site.name], tmp_path / "items", timeout=60)
    assert summary.status == "failed" and items[site.name] == []
    index = site.list_urls()[0]
    assert summary.reason == (f"nothing could be fetched (redirect loop: {index} redirected to itself 4 times "
                              "(a WAF whose cookie never sticks?))")
    assert _error_log(sqlite_url, summary.run_id) == [(index, summary.reason[len("nothing could be fetched ("):-1])]
    # robots.txt and the list page, each given up after three same-URL redirects; nothing else
    assert [(r.path, r.status) for r in server.log] == [("/robots.txt", 302)] * 4 + [(site.family.list_paths(site)[0], 302)] * 4


# --- 6. gkmlpt under a department prefix, the API's urls on another host -----------------------


def test_gkmlpt_api_urls_on_another_host_are_fetched_from_the_portal_itself(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    """龙川县教育局 under /lcxjyj whose API names a copy host: the portal's own host is trusted."""
    site = samples.longchuan_site()
    site.options["article_host"] = "http://127.0.0.9:9"  # not the portal: never to be asked
    server = serve_portal(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    [summary], items = crawl_with_items(config, [site.name], tmp_path / "items")
    assert (summary.status, summary.reason, summary.errors) == ("ok", None, 0)
    assert sorted(item["url"] for item in items[site.name]) == sorted(site.url(d.id) for d in site.listed())
    assert all(item["site"] == f"127.0.0.1:{server.port}" for item in items[site.name])


def test_trusted_post_url_prefers_the_portal_then_official_hosts() -> None:
    base = "http://www.luhe.gov.cn/swlhjyj"
    own = "http://www.luhe.gov.cn/swlhjyj/gkmlpt/content/1/1058/post_1058889.html"
    assert trusted_post_url(own, own, base) == own
    county = "http://www.lhx.gov.cn/gkmlpt/content/1/1058/post_1058889.html"
    assert trusted_post_url(county, own, base) == county  # another official host: its own post
    assert trusted_post_url("http://www.copysite.com/gkmlpt/content/1/1058/post_1058889.html", own, base) == own
    assert trusted_post_url(None, own, base) == own


# --- 6. Shandong gongkai list filled by script: the configured list URL is its JSON source --------


def test_generic_json_list_source(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.huantai_site()
    site.options["list_json"] = True
    server = serve_portal(site)
    assert site.list_urls()[0].endswith("/list.json")
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [server])
    [first], items = crawl_with_items(config, [site.name], tmp_path / "items1")
    assert (first.status, first.reason, first.errors, first.docs_new) == ("ok", None, 0, 13)
    doc = site.doc(samples.huantai_plan().id)
    plan = by_path(items[site.name])[site.detail_path(doc.id)]
    assert (plan["title"], plan["list_date"]) == (doc.title, f"{doc.shown_date} {doc.published_time}")
    newest = site.listed()[0]
    site.remove_doc(newest.id)
    server.reset_log()
    [second], _ = crawl_with_items(config, [site.name], tmp_path / "items2")
    assert (second.status, second.errors, second.docs_new) == ("ok", 0, 0)
    assert [(r.path, r.status) for r in server.log if "/doc_" in r.path] == [(site.family.detail_path(site, newest), 404)]
