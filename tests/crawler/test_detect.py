"""``crawler.detect`` on the local portals of every family, from their home pages and from a
column page, and on a site it cannot recognise (a plain local web server)."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from crawler.detect.propose import detect
from eduwatch.config import CrawlConfig
from localportals import PortalServer, sample_sites

POLITE = CrawlConfig(delay=0.0)
FAMILIES = ["huilai", "longchuan_jyj", "huantai_jyt", "qingdao_jyj", "govcn", "huantai"]


@pytest.fixture(scope="module")
def portals():
    servers = {name: PortalServer(site).start() for name, site in sample_sites().items() if name in FAMILIES}
    yield servers
    for server in servers.values():
        server.stop()


def _expected(server: PortalServer) -> dict[str, object]:
    return server.site.portal_config()


@pytest.mark.parametrize("name", FAMILIES)
def test_detect_from_the_home_page(portals, name: str) -> None:
    server = portals[name]
    want = _expected(server)
    proposal = detect(server.base_url + "/", POLITE)
    assert proposal.platform == want["platform"], proposal.evidence
    if want["platform"] == "gkmlpt":
        assert proposal.base_url == want["base_url"]  # with the department prefix, if any
    else:
        assert proposal.list_urls == [u for u in want["list_urls"] if not u.endswith(".json")]
    if want["platform"] == "generic":
        assert proposal.detail_pattern == want["detail_pattern"]
    assert proposal.title == server.site.title
    if name == "govcn":
        assert proposal.region == ""  # national: no county or city in 中国政府网
    else:
        assert proposal.region and server.site.title.startswith(proposal.region)
    assert 0.5 <= proposal.confidence <= 1 and any("followed the home page's link" in e for e in proposal.evidence)


@pytest.mark.parametrize("name", FAMILIES)
def test_detect_from_a_column_page(portals, name: str) -> None:
    server = portals[name]
    want = _expected(server)
    column = want["list_urls"][0] if want["list_urls"] else f"{want['base_url']}/gkmlpt/index"
    proposal = detect(column, POLITE)
    assert proposal.platform == want["platform"], proposal.evidence
    assert not any("home page" in e for e in proposal.evidence)


def test_robots_txt_is_obeyed(portals) -> None:
    server = portals["qingdao_jyj"]
    server.site.robots_disallow = ["/"]
    try:
        proposal = detect(server.base_url + "/", CrawlConfig(delay=0.0))
        assert detect(server.base_url + "/", CrawlConfig(delay=0.0, obey_robots=False)).recognised
    finally:
        server.site.robots_disallow = []
    assert not proposal.recognised and "robots.txt does not allow" in proposal.evidence[0]


def test_a_site_it_cannot_recognise(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        "<html><head><title>某某科技有限公司</title></head><body><a href='/about.html'>关于我们</a>"
        "<a href='/contact.html'>联系</a></body></html>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proposal = detect(f"http://127.0.0.1:{server.server_port}/", POLITE)
    finally:
        server.shutdown()
    assert not proposal.recognised and proposal.confidence == 0
    assert "某某科技有限公司" in proposal.evidence[-1] and "2 links" in proposal.evidence[-1]
