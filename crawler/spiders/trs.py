"""TRS WCM: static list pages ``index.shtml``, ``index_1.shtml`` … ``index_{n-1}.shtml``.

The page count is printed in ``createPageHTML(n, current, "index", "shtml")`` or
``var countPage = n``; detail links are relative (``./202204/t20220417_974894.shtml``) and
are resolved against the list page's URL. Metadata come as a label table or as
``<li><span>label：</span><span>value</span></li>`` pairs (the one label extractor reads
both); the body is in ``.TRS_Editor`` (or its siblings), attachments sit beside the
article as ``P0…pdf`` / ``W0…docx``. Lists may be ``.html`` or ``.shtml``; deep pages past the
real end may be stubs (empty, or repeating a pinned link): such a page ends the walk. A
multi-page article (``t…_id.shtml``, ``_1``, ``_2`` …, found from its own createPageHTML or
links) is ONE document at its first page's URL, its body the pages joined.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from scrapy import Request
from scrapy.http import Response

from crawler.extract import parse_html
from crawler.extract.body import extract_body
from crawler.extract.attachments import find_attachments
from crawler.spiders.base import PortalSpider
from crawler.spiders.listing import list_links
from crawler.spiders.records import BrokenPage, DetailParts

_CREATE_PAGE = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*['\"]([^'\"]*)['\"]\s*,\s*['\"]([^'\"]*)['\"]")
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*(\d+)")
_INDEX = re.compile(r"index(?:_\d+)?\.(s?html?)$")
DETAIL_PATTERN = r"/t\d{8}_\d+(?:_\d+)?\.s?html?$"
MAX_ARTICLE_PAGES = 50  # a pager claiming more is not believed


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


def article_pages(text: str, url: str) -> list[str]:
    """URLs of the further pages of a multi-page article at ``url`` (``t…_id.shtml``), in order.

    TRS prints the article's own pager as ``createPageHTML(n, 0, "t20220417_974894", "shtml")``;
    templates that do not, still link ``t20220417_974894_1.shtml`` … as 下一页 / page numbers.
    """
    path = url.split("?", 1)[0].split("#", 1)[0]
    directory, _, name = path.rpartition("/")
    stem, _, ext = name.rpartition(".")
    if not stem:
        return []
    count = 1
    for match in _CREATE_PAGE.finditer(text):
        if match.group(3) == stem:
            count = max(count, int(match.group(1)))
            ext = match.group(4) or ext
    for match in re.finditer(rf"""href\s*=\s*["']?(?:\./)?{re.escape(stem)}_(\d+)\.{re.escape(ext)}\b""", text):
        count = max(count, int(match.group(1)) + 1)
    return [f"{directory}/{stem}_{k}.{ext}" for k in range(1, min(count, MAX_ARTICLE_PAGES))]


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

    async def more_detail_parts(self, response: Response, text: str, parts: DetailParts) -> DetailParts:
        """A multi-page article is ONE document at its first page's URL, its body all pages joined."""
        if not text or _CREATE_PAGE.search(text) is None and "_1." not in text:
            return parts
        further = article_pages(text, response.url)
        if not further:
            return parts
        bodies = [parts.body]
        links = list(parts.links)
        for number, url in enumerate(further, start=2):
            try:
                page = await self.fetch_page(url)
            except BrokenPage as exc:
                raise BrokenPage(f"article page {number} of {len(further) + 1} could not be read: {exc}") from None
            root = parse_html(page)  # one parse shared by both extractors
            bodies.append(extract_body(root, self.body_selectors))
            known = {link.url for link in links}
            links += [link for link in find_attachments(root, url) if link.url not in known]
        parts.body = "\n".join(body for body in bodies if body.strip())
        parts.links = links
        return parts

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
        if not entries or index >= last or self.walk.repeated(first_url):
            self.list_ended(first_url)  # deep pages may be stubs: empty, or repeating a pinned link, is the end
        elif fresh and index + 1 < self.max_list_pages:
            yield self.page_request(first_url, page_url(first_url, index + 1, stem, ext), index + 1)
