"""Polite page fetching for detection: robots.txt obeyed, the configured User-Agent, a delay.

Detection runs from an operator's terminal against a site eduwatch does not crawl yet, so it
asks as the crawler would (``[crawl] user_agent``, ``obey_robots``, ``delay``) and fetches
only the few pages it needs.
"""

from __future__ import annotations

import time
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from crawler.decoding import decode_page
from eduwatch.config import CrawlConfig


@dataclass
class Page:
    url: str  # after redirects
    status: int
    text: str


@dataclass
class PoliteFetcher:
    crawl: CrawlConfig
    robots: dict[str, urllib.robotparser.RobotFileParser | None] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # URLs robots.txt kept us from
    _last: float = 0.0

    def __post_init__(self) -> None:
        self.client = httpx.Client(headers={"User-Agent": self.crawl.user_agent}, timeout=self.crawl.timeout,
                                   follow_redirects=True, verify=False)

    def get(self, url: str) -> Page | None:
        """The page at ``url``, or None when robots.txt forbids it or the site cannot be reached."""
        if not self.allowed(url):
            self.refused.append(url)
            return None
        self._wait()
        try:
            response = self.client.get(url)
        except httpx.HTTPError:
            return None
        return Page(str(response.url), response.status_code, _text(response))

    def allowed(self, url: str) -> bool:
        if not self.crawl.obey_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            self.robots[origin] = self._robots(origin)
        parser = self.robots[origin]
        return parser is None or parser.can_fetch(self.crawl.user_agent, url)

    def _robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        try:
            response = self.client.get(origin + "/robots.txt")
        except httpx.HTTPError:
            return None
        if response.status_code >= 400:
            return None  # no robots.txt: everything is allowed
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(response.text.splitlines())
        return parser

    def _wait(self) -> None:
        pause = self.crawl.delay - (time.monotonic() - self._last)
        if pause > 0:
            time.sleep(pause)
        self._last = time.monotonic()

    def close(self) -> None:
        self.client.close()


def _text(response: httpx.Response) -> str:
    """The page as text, decoded as the crawler decodes pages (header, BOM, <meta>, detection;
    GBK/GB2312 as GB18030; a declared charset that does not fit is not trusted)."""
    return decode_page(response.content, response.headers.get("content-type")).text