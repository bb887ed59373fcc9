"""Generic portals: list pages, links matching the portal's ``detail_pattern``, 下一页 paging.

For sites without a family of their own (the Shandong gongkai platform, small CMSs). Metadata
come from labels where the page has them; otherwise the title is the page's ``<h1>`` /
ArticleTitle meta / ``<title>``, the 发布日期 the published meta or the date printed near the
title, and the 成文日期 the signature date at the end of the body. A list filled by script
is configured by its JSON source: any JSON list URL works, entries are the objects holding
a URL that matches ``detail_pattern``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Iterator
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response

from crawler.extract import parse_html
from crawler.spiders.base import PortalSpider
from crawler.spiders.listing import list_links
from crawler.spiders.records import BrokenPage, DetailParts, page_title, signature_date
from storage.records import ListEntry

_NEXT_TEXT = re.compile(r"^\s*(?:下一页|下页|后一页|next\s*page|next|›|»|>)\s*$", re.IGNORECASE)
_INFO_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def next_page_url(text: str, base_url: str) -> str | None:
    root = parse_html(text)
    for anchor in root.iter("a"):
        label = (anchor.text_content() or "").strip() or (anchor.get("title") or "")
        href = (anchor.get("href") or "").strip()
        if href and not href.startswith(("javascript:", "#")) and _NEXT_TEXT.match(label):
            return urljoin(base_url, href)
    return None


_TITLE_KEYS = ("title", "doctitle", "name", "subject", "biaoti")


def is_json_list(response: Response) -> bool:
    ctype = (response.headers.get("Content-Type") or b"").lower()
    return b"json" in ctype or response.url.split("?", 1)[0].endswith(".json")


def json_list_entries(payload: Any, base_url: str, pattern: str) -> list[ListEntry]:
    """Detail links in a JSON list, whatever its shape: every object holding a string that is a
    URL matching ``pattern`` is one entry; its title and date come from the same object."""
    regex = re.compile(pattern)
    entries: dict[str, ListEntry] = {}

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        url = next((urljoin(base_url, value.strip()) for value in node.values()
                    if isinstance(value, str) and regex.search(urljoin(base_url, value.strip()).split("?", 1)[0])), None)
        if url and url not in entries:
            lowered = {str(key).lower(): value for key, value in node.items()}
            title = next((str(lowered[k]).strip() for k in _TITLE_KEYS if isinstance(lowered.get(k), str)), None)
            date = next((value for key, value in lowered.items() if isinstance(value, str)
                         and ("date" in key or "time" in key) and _INFO_DATE.search(value)), None)
            entries[url] = ListEntry(url, title or None, date, len(entries))
            return
        for value in node.values():
            visit(value)

    visit(payload)
    return list(entries.values())


class GenericSpider(PortalSpider):
    name = "generic"
    platform = "generic"

    def list_starts(self) -> Iterable[Request]:
        for url in self.portal_config.list_urls:
            yield self.page_request(url, url, 1)

    def page_request(self, list_key: str, url: str, number: int) -> Request:
        return self.list_request(url, self.parse_list, list_key=list_key,
                                 cb_kwargs={"list_key": list_key, "number": number})

    def parse_list(self, response: Response, list_key: str, number: int) -> Iterator[Request]:
        if is_json_list(response):
            yield from self.parse_json_list(response, list_key)
            return
        try:
            text = self.list_text(response)
        except BrokenPage as exc:
            self.broken_list(response, exc)
            return
        entries = list_links(text, response.url, self.portal_config.detail_pattern or r"$^")
        requests, fresh = self.take_entries(entries, list_key)
        yield from requests
        following = next_page_url(text, response.url)
        if not entries or following is None or following == response.url:
            self.list_ended(list_key)
        elif fresh and number < self.max_list_pages:
            yield self.page_request(list_key, following, number + 1)

    def parse_json_list(self, response: Response, list_key: str) -> Iterator[Request]:
        """A list filled by script: the configured list URL is its JSON source. It has no paging
        we could know of: it ends at its one page, vouching only for the range it shows."""
        try:
            payload = json.loads(self.list_text(response, expect="json"))
        except BrokenPage as exc:
            self.broken_list(response, exc)
            return
        entries = json_list_entries(payload, response.url, self.portal_config.detail_pattern or r"$^")
        requests, _fresh = self.take_entries(entries, list_key)
        self.list_ended(list_key, complete=False)
        yield from requests

    def detail_parts(self, response: Response, text: str, entry: ListEntry, extra: dict[str, Any]) -> DetailParts:
        parts = super().detail_parts(response, text, entry, extra)
        meta = parts.metadata
        if not meta.title:
            meta.title = page_title(text)
        if not meta.published_date:
            meta.published_date = self._printed_date(text)
        if not meta.written_date:
            meta.written_date = signature_date(parts.body)
        return parts

    @staticmethod
    def _printed_date(text: str) -> str | None:
        """The first date printed after the <h1> (the 'info' line under the title)."""
        position = text.lower().find("</h1>")
        match = _INFO_DATE.search(text, position if position >= 0 else 0)
        return match.group(0) if match else None
