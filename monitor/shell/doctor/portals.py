"""Each enabled portal: its host resolves, robots.txt lets us in, the first list page answers,
and the page still shows the family configured for it.

A county site that moved CMS (a 大汉 site rebuilt on gkmlpt) still answers 200 but the spider
finds nothing; recognising the family with :mod:`crawler.detect` catches that before a night of
empty crawls.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from crawler.detect.fetch import PoliteFetcher
from crawler.detect.fingerprints import Match, recognise
from eduwatch.config import Config, PortalConfig
from monitor.shell.doctor.result import Check, failed, passed


def check_portals(config: Config) -> list[Check]:
    fetcher = PoliteFetcher(config.crawl)
    try:
        return [check_portal(portal, fetcher) for portal in config.portals if portal.enabled]
    finally:
        fetcher.close()


def first_list_url(portal: PortalConfig) -> str:
    """Where a crawl of ``portal`` starts (gkmlpt: its directory index)."""
    if portal.platform == "gkmlpt" or not portal.list_urls:
        return portal.base_url.rstrip("/") + "/gkmlpt/index"
    return portal.list_urls[0]


def check_portal(portal: PortalConfig, fetcher: PoliteFetcher) -> Check:
    name = f"portal {portal.name}"
    url = first_list_url(portal)
    host = urlsplit(url).hostname or ""
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError) as exc:
        return failed(name, f"{host}: does not resolve ({exc})", "check the host name in base_url / list_urls, or DNS")
    if not fetcher.allowed(url):
        return failed(name, f"robots.txt of {host} forbids {url}",
                      "ask the site to allow it, or set enabled = false for this portal")
    page = fetcher.get(url)
    if page is None or page.status >= 400:
        why = f"HTTP {page.status}" if page else "no answer"
        return failed(name, f"{url}: {why}", "open it in a browser; the column may have moved: "
                      f"`eduwatch portals detect {portal.base_url}/`")
    return _family(name, portal, url, recognise(page))


def _family(name: str, portal: PortalConfig, url: str, match: Match | None) -> Check:
    platform = match.platform if match else None
    if platform == portal.platform or (portal.platform == "generic" and platform is None):
        return passed(name, f"{url}: answers, still {portal.platform}")
    seen = f"now looks like {platform}" if platform else "shows no family eduwatch recognises"
    return failed(name, f"{url}: configured as {portal.platform}, {seen}",
                  f"the site changed CMS: `eduwatch portals detect {portal.base_url}/` and update this entry")
