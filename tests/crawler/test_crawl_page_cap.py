"""A list walk stopped by ``[crawl] max_list_pages`` says so in the run's reason; the run stays ok."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.runner import run_crawl
from localportals import samples
from localportals.model import Site
from tests.crawler.crawl_support import write_config

PAGING_FAMILIES = ("gkmlpt", "hanweb", "trs", "generic")


@pytest.mark.parametrize("family", PAGING_FAMILIES)
def test_a_list_cut_short_by_max_list_pages_is_named_in_the_reason(tmp_path: Path, serve_portal, sqlite_url: str, family: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site(family, 60, page_size=5, edu_every=0)  # 12 list pages
    site.options["perpage"] = 3  # hanweb pages by groups of 3 pages: 7 groups
    server = serve_portal(site)
    capped = write_config(tmp_path / "capped.toml", sqlite_url, [server], max_list_pages=2)
    [cut] = run_crawl(capped, [site.name], full=True)
    assert cut.status == "ok", cut.reason
    assert cut.reason is not None and cut.reason.startswith("stopped at max_list_pages=2 on "), cut.reason
    assert cut.docs_new < 60

    whole = write_config(tmp_path / "whole.toml", sqlite_url, [server])  # default cap 50: every list ends first
    [rest] = run_crawl(whole, [site.name], full=True)
    assert (rest.status, rest.reason) == ("ok", None)
    assert cut.docs_new + rest.docs_new == 60


def _one_page_site(kind: str) -> Site:
    if kind == "govcn":
        return samples.govcn_site()  # a feed of the latest policies: never pages
    site = samples.synthetic_site("generic", 4, page_size=5, edu_every=0)  # one list page, its last
    site.options["list_json"] = kind == "generic-json"  # filled by script from one JSON source: no paging
    return site


@pytest.mark.parametrize("kind", ["govcn", "generic-json", "generic-html"])
def test_a_one_page_list_is_not_named_with_max_list_pages_1(tmp_path: Path, serve_portal, sqlite_url: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    site = _one_page_site(kind)
    config = write_config(tmp_path / "one.toml", sqlite_url, [serve_portal(site)], max_list_pages=1)
    [run] = run_crawl(config, [site.name], full=True)
    assert (run.status, run.reason) == ("ok", None)
    assert run.docs_new == len(site.docs)


def test_max_list_pages_1_still_names_a_list_with_a_second_page(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site("generic", 8, page_size=5, edu_every=0)  # 2 list pages
    config = write_config(tmp_path / "one.toml", sqlite_url, [serve_portal(site)], max_list_pages=1)
    [run] = run_crawl(config, [site.name], full=True)
    assert run.status == "ok" and run.reason is not None
    assert run.reason.startswith("stopped at max_list_pages=1 on "), run.reason
    assert run.docs_new == 5


def test_hanweb_with_max_list_pages_1_reads_only_the_column_page(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site("hanweb", 60, page_size=5, edu_every=0)
    site.options["perpage"] = 3
    config = write_config(tmp_path / "one.toml", sqlite_url, [serve_portal(site)], max_list_pages=1)
    [run] = run_crawl(config, [site.name], full=True)
    assert run.status == "ok" and run.reason is not None
    assert run.reason.startswith("stopped at max_list_pages=1 on "), run.reason
    assert not [record.path for record in site.log if "dataproxy" in record.path]
