"""Real-world variants of the five families (shared/notes/platforms.md), each crawled on a local portal.

Every variant is an option of the imitation portal, off by default; these tests switch it on
and check that the crawl finds every document, records no error that is not one, and ends.
"""

from __future__ import annotations

import datetime as dt
import urllib.request
from dataclasses import replace
from pathlib import Path

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
    assert _api_pages(server) == [("page=1", 200), ("page=2", 200)]  # 5 + 1: the window's end
    contents = sorted((t, s) for _m, t, s in requests_of(server) if "/content/" in t)
    assert contents == sorted([(site.detail_path(fresh.id), 200), (_path(gone), 404)])
