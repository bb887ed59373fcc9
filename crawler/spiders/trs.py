"""TRS WCM: static list pages ``index.shtml``, ``index_1.shtml`` … ``index_{n-1}.shtml``.

The page count is printed in ``createPageHTML(n, current, "index", "shtml")`` or
``var countPage = n``; detail links are relative (``./202204/t20220417_974894.shtml``) and
are resolved against the list page's URL. Metadata come as a label table or as
``<li><span>label：</span><span>value</span></li>`` pairs (the one label extractor reads
both); the body is in ``.TRS_Editor`` (or its siblings), attachments sit beside the
article as ``P0…pdf`` / ``W0…docx``.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from scrapy import Request
from scrapy.http import Response

from crawler.spiders.base import BrokenPage, PortalSpider, list_links

_CREATE_PAGE = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*['\"]([^'\"]*)['\"]\s*,\s*['\"]([^'\"]*)['\"]")
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*(\d+)")
_INDEX = re.compile(r"index(?:_\d+)?\.(s?html?)$")
DETAIL_PATTERN = r"/t\d{8}_\d+(?:_\d+)?\.s?html?$"


def page_count(text: str) -> tuple[int | None, str | None, str | None]:
    """(page count, page name stem, extension) from the list page's paging script."""
    match = _CREATE_PAGE.search(text)
    if match:
        return int(match.group(1)), match.group(3) or None, match.group(4) or None
    match = _COUNT_PAGE.search(text)
    return (int(match.group(1)), None, None) if match else (None, None, None)


def page_url(first_url: str, index: int, stem: str | None = None, ext: str | None = None) -> str:
    """URL of list page ``index`` (0 = the first page) next to ``first_url``."""
    directory = first_url.rsplit("/", 1)[0] if not first_url.endswith("/") else first_url.rstrip("/")
    match = _INDEX.search(first_url)
    ext = ext or (match.group(1) if match else "html")
    stem = stem or "index"
    return f"{directory}/{stem}.{ext}" if index == 0 else f"{directory}/{stem}_{index}.{ext}"


class TrsSpider(PortalSpider):
    name = "trs"
    platform = "trs"
    body_selectors = (".TRS_Editor", ".trs_editor_view", ".TRS_UEDITOR", "#zoom")

    @property
    def detail_pattern(self) -> str:
        return self.portal_config.detail_pattern or DETAIL_PATTERN

    def list_starts(self) -> Iterable[Request]:
        for url in self.portal_config.list_urls:
            yield self.page_request(url, url, 0)

    def page_request(self, first_url: str, url: str, index: int) -> Request:
        return self.list_request(url, self.parse_list, list_key=first_url,
                                 cb_kwargs={"first_url": first_url, "index": index})

    def parse_list(self, response: Response, first_url: str, index: int) -> Iterator[Request]:
        try:
            text = self.list_text(response)
        except BrokenPage as exc:
            self.broken_list(response, exc)
            return
        entries = list_links(text, response.url, self.detail_pattern)
        requests, fresh = self.take_entries(entries, first_url)
        yield from requests
        count, stem, ext = page_count(text)
        last = (count or 1) - 1
        if not entries or index >= last:
            self.list_ended(first_url)  # deep pages may be stubs: an empty one is the end too
        elif fresh and index + 1 < self.max_list_pages:
            yield self.page_request(first_url, page_url(first_url, index + 1, stem, ext), index + 1)
