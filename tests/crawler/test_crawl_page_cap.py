"""A list walk stopped by ``[crawl] max_list_pages`` says so in the run's reason; the run stays ok."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.runner import run_crawl
from localportals import samples
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
