"""Stop a portal's crawl at the first anti-bot challenge, and count what was fetched.

Every response (list pages, detail pages, attachments, probes) passes
:func:`crawler.challenge.detect_challenge`. A challenge means the portal has decided we are a
bot: asking again only digs deeper, so the spider records the run as *blocked* with the
detector's reason and closes; other portals in the same process carry on.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.challenge import detect_challenge

log = logging.getLogger(__name__)


class PortalBlocked(IgnoreRequest):
    """The response was a challenge page; the portal's crawl is over."""


class ChallengeMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ChallengeMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Nothing more goes out to a portal once it has shown a challenge."""
        spider = self.crawler.spider
        if getattr(spider, "blocked_reason", None):
            raise PortalBlocked(f"portal already blocked; not requesting {request.url}")

    def process_response(self, request: Request, response: Response) -> Response:
        spider: Spider | None = self.crawler.spider
        if request.meta.get("dont_obey_robotstxt") and response.url.endswith("/robots.txt"):
            return response  # robots.txt is the middleware's business, not a page of the portal
        if spider is not None and hasattr(spider, "count_response"):
            spider.count_response(response)
        reason = detect_challenge(response.status, response.headers, response.body)
        if reason is None:
            return response
        log.warning("challenge at %s (HTTP %s): %s", response.url, response.status, reason)
        if spider is not None and hasattr(spider, "block"):
            spider.block(reason, response.url)
        raise PortalBlocked(f"challenge page at {response.url}: {reason}")
