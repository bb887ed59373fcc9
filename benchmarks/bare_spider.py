"""The baseline for crawl overhead: a Scrapy spider that requests a fixed list of URLs and does
nothing with the answers. Run as ``python -m benchmarks.bare_spider URLS_FILE [--per-host N]``.

It shares the crawl's transport settings that are not eduwatch's work — per-host concurrency
and the global concurrency eduwatch derives from it (``crawler.settings.crawl_settings``), no
delay — and leaves out everything that is (robots, cache, retries with back-off, challenge
detection, parsing, extraction, storing). The global limit matters: with Scrapy's default 16
and one connection per host, requests parked in the host's slot go out at only ~13 pages/s on
loopback, against ~250 pages/s with eduwatch's per-host + 1. ``BARE_SETTINGS`` (JSON) adds
Scrapy settings for experiments. Its last stdout line is JSON:
``{"responses": N, "seconds": S, "statuses": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Iterator, Sequence

import scrapy
from scrapy.crawler import CrawlerProcess

from crawler.settings import crawl_settings
from eduwatch.config import CrawlConfig


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: list[str], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.statuses: dict[int, int] = {}
        self.started = 0.0
        self.finished = 0.0

    async def start(self) -> Iterator[scrapy.Request]:  # type: ignore[override]
        self.started = time.perf_counter()
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True, errback=self.failed)

    def parse(self, response: scrapy.http.Response) -> None:
        self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        self.finished = time.perf_counter()

    def failed(self, failure: object) -> None:
        self.statuses[-1] = self.statuses.get(-1, 0) + 1
        self.finished = time.perf_counter()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_spider")
    parser.add_argument("urls_file")
    parser.add_argument("--per-host", type=int, default=1)
    args = parser.parse_args(argv)
    urls = Path(args.urls_file).read_text(encoding="utf-8").split()
    transport = crawl_settings(CrawlConfig(delay=0.0, concurrency_per_host=args.per_host))
    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING",
        "ROBOTSTXT_OBEY": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": transport["CONCURRENT_REQUESTS"],
        "CONCURRENT_REQUESTS_PER_DOMAIN": transport["CONCURRENT_REQUESTS_PER_DOMAIN"],
        "HTTPERROR_ALLOW_ALL": True,
        "RETRY_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
        **json.loads(os.environ.get("BARE_SETTINGS", "{}")),
    })
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, urls=urls)
    begun = time.perf_counter()
    process.start()
    spider = crawler.spider
    responses = sum(spider.statuses.values())
    print(json.dumps({"responses": responses, "seconds": spider.finished - spider.started,
                      "process_seconds": time.perf_counter() - begun, "statuses": spider.statuses}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
