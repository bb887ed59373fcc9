"""www.gov.cn policy library: an HTML list or the ``ZUIXINZHENGCE.json`` feed, then detail pages.

The feed is ``[{TITLE, URL, DOCRELPUBTIME}]`` of the latest policies only — a window, not
the whole library — so it never counts as a list walked to its end: a document that ages
out of the window is not a withdrawal candidate. Detail pages carry the ``bd1`` label table
(``<td><b>索 引 号：</b></td><td>value</td>``, dates as 2018年12月21日) and the body in
``#UCAP-CONTENT``, followed by a 责任编辑 line that the body extractor drops.
"""

from __future__ import annotations

import json
from typing import Iterable, Iterator

from scrapy import Request
from scrapy.http import Response

from crawler.spiders.base import PortalSpider
from crawler.spiders.listing import list_links
from crawler.spiders.records import BrokenPage
from storage.records import ListEntry

DETAIL_PATTERN = r"/zhengce/content/[^/]+(?:/\d{2})?/content_\d+\.htm$"


def feed_entries(payload: object, base_url: str) -> list[ListEntry]:
    from urllib.parse import urljoin

    entries: list[ListEntry] = []
    for item in payload if isinstance(payload, list) else []:
        if not isinstance(item, dict) or not item.get("URL"):
            continue
        title = str(item.get("TITLE") or "").strip() or None
        date = str(item.get("DOCRELPUBTIME") or "").strip() or None
        entries.append(ListEntry(urljoin(base_url, str(item["URL"])), title, date, len(entries)))
    return entries


class GovcnSpider(PortalSpider):
    name = "govcn"
    platform = "govcn"
    body_selectors = ("#UCAP-CONTENT", ".pages_content")

    @property
    def detail_pattern(self) -> str:
        return self.portal_config.detail_pattern or DETAIL_PATTERN

    def list_starts(self) -> Iterable[Request]:
        for url in self.portal_config.list_urls:
            yield self.list_request(url, self.parse_list, list_key=url, cb_kwargs={"list_key": url})

    def parse_list(self, response: Response, list_key: str) -> Iterator[Request]:
        is_json = response.url.split("?", 1)[0].endswith(".json") or b"json" in (
            response.headers.get("Content-Type") or b""
        )
        try:
            text = self.list_text(response, expect="json" if is_json else "html")
        except BrokenPage as exc:
            self.broken_list(response, exc)
            return
        if is_json:
            entries = feed_entries(json.loads(text), response.url)
        else:
            entries = list_links(text, response.url, self.detail_pattern)
        requests, _fresh = self.take_entries(entries, list_key)
        self.list_ended(list_key, complete=False)  # one page is all there is, and only a window
        yield from requests
