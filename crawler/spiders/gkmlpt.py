"""gkmlpt — Guangdong's 政府信息公开目录管理平台.

``{base}/gkmlpt/index`` carries ``window._CONFIG = {SID: '…', TREE: […]}`` (a JavaScript
object literal, not JSON: SID by regex, TREE as the one JSON array inside). Each leaf
category is paged through ``/gkmlpt/api/all/{cat}?page=N&sid=SID`` (from page 1: page 0
answers like page 1 on many sites) until an empty ``articles``, a 404 (sites with one page),
the ``total``, or a page that repeats the one before (sites that answer the last page again
past the end). A category that ends short of the posts the platform claims for it (TREE /
``classify.post_count``) is a recent window: older posts are out of view, not withdrawn. The
API's ``url`` may name another host (a copy site): the portal's own host is trusted first. The API gives the metadata (identifier = 索引号,
document_number = 文号, publisher, date = 成文日期 epoch, created_at = 发布日期,
is_abolished, attachments); the detail page gives the body (``.article-content``, or the
DETAIL JSON's ``content`` when the markup lacks it).
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from crawler.extract import parse_html
from crawler.extract.attachments import AttachmentLink, find_attachments
from crawler.extract.body import extract_body
from crawler.extract.labels import PageMetadata, extract_metadata
from crawler.spiders.base import PortalSpider
from crawler.spiders.listing import iter_json_articles
from crawler.spiders.records import BrokenPage, DetailParts
from storage.records import ListEntry

_SID = re.compile(r"""\bSID\s*:\s*['"]?([\w-]+)""")
_TREE = re.compile(r"\bTREE\s*:\s*(?=\[)")
_DETAIL = re.compile(r"\bDETAIL\s*:\s*(?=\{)")


def parse_index_config(text: str) -> tuple[str, list[dict[str, Any]]]:
    """SID and TREE out of the index page's ``window._CONFIG`` object literal."""
    sid = _SID.search(text)
    tree = _TREE.search(text)
    if not sid or not tree:
        raise BrokenPage("gkmlpt index page has no window._CONFIG with SID and TREE")
    try:
        nodes, _ = json.JSONDecoder().raw_decode(text, tree.end())
    except ValueError as exc:
        raise BrokenPage(f"gkmlpt TREE is not a JSON array ({exc})") from None
    if not isinstance(nodes, list):
        raise BrokenPage("gkmlpt TREE is not a list")
    return sid.group(1), nodes


def leaf_categories(nodes: Iterable[dict[str, Any]]) -> Iterator[int]:
    """Ids of the tree's leaves (a parent's list repeats its children's posts)."""
    for node, _count in leaf_counts(nodes):
        yield node


def leaf_counts(nodes: Iterable[dict[str, Any]]) -> Iterator[tuple[int, int | None]]:
    """(id, post_count) of the tree's leaves; post_count None when the node does not say."""
    for node in nodes:
        children = node.get("children") or []
        if children:
            yield from leaf_counts(children)
        elif node.get("id") is not None:
            yield int(node["id"]), _count(node.get("post_count"))


def _count(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def trusted_post_url(listed: str | None, own: str | None, base: str) -> str | None:
    """Which URL to fetch for a post the API lists at ``listed`` (we could build ``own``).

    The API's ``url``/``post_url`` sometimes point at another host: a copy site that
    republishes the platform's posts, or a stale domain. The portal's own host is trusted
    first, any other official ``*.gov.cn`` host next; anything else is replaced by the post's
    URL under the portal's own base.
    """
    if not listed:
        return own
    host = host_of(listed)
    if host == host_of(base) or host.endswith(".gov.cn") or own is None:
        return listed
    return own


def detail_config_content(text: str) -> str | None:
    """The body HTML from ``window._CONFIG = {DETAIL: {…, "content": "…"}}``."""
    match = _DETAIL.search(text)
    if not match:
        return None
    try:
        detail, _ = json.JSONDecoder().raw_decode(text, match.end())
    except ValueError:
        return None
    content = detail.get("content") if isinstance(detail, dict) else None
    return content if isinstance(content, str) else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


class GkmlptSpider(PortalSpider):
    name = "gkmlpt"
    platform = "gkmlpt"
    body_selectors = (".article-content",)

    @property
    def base(self) -> str:
        return self.portal_config.base_url.rstrip("/")

    def list_starts(self) -> Iterable[Request]:
        yield self.list_request(f"{self.base}/gkmlpt/index", self.parse_index, list_key="index")

    def parse_index(self, response: Response) -> Iterator[Request]:
        try:
            sid, tree = parse_index_config(self.list_text(response))
        except BrokenPage as exc:
            self.broken_list(response, exc)
            return
        counts = dict(leaf_counts(tree))
        categories = list(self.portal_config.categories) or list(counts)
        self.walk.coverage.pop("index", None)  # the index page lists no documents
        for category in categories:
            yield self.api_request(category, 1, sid, claimed=counts.get(category) or 0)

    def api_request(self, category: int, page: int, sid: str, per_page: int = 0, *, claimed: int = 0,
                    previous: tuple[int, ...] = ()) -> Request:
        """One API page. ``claimed``: how many posts the platform says the category holds;
        ``previous``: the post ids of the page before (a page that repeats them is the end).
        Both travel in cb_kwargs so a distributed worker that did not see the earlier pages knows."""
        request = self.list_request(
            f"{self.base}/gkmlpt/api/all/{category}?page={page}&sid={sid}",
            self.parse_api,
            list_key=f"category:{category}",
            cb_kwargs={"category": category, "page": page, "sid": sid, "per_page": per_page, "claimed": claimed,
                       "previous": previous},
        )
        # Sites that show one page answer page>=2 with 404: that is the list's end, not an error.
        request.meta["handle_httpstatus_list"] = [404]
        return request

    def end_of_category(self, key: str, claimed: int) -> None:
        """The API has no more pages. Fewer posts than the platform claims: the API is a recent
        window, and the posts outside it are out of view, not withdrawn."""
        shown = self.walk.listed_count(key)
        complete = not claimed or shown >= claimed
        if not complete:
            self.logger.info("%s: %s ended after %d of %d posts: the API shows a recent window",
                             self.portal, key, shown, claimed)
        self.list_ended(key, complete=complete)

    def parse_api(self, response: Response, category: int, page: int, sid: str, per_page: int, claimed: int = 0,
                  previous: tuple[int, ...] = ()) -> Iterator[Request]:
        key = f"category:{category}"
        if response.status == 404:
            if page == 1:
                self.broken_list(response, BrokenPage(f"HTTP 404 for category {category}"))
            else:
                self.end_of_category(key, claimed)
            return
        try:
            payload = json.loads(self.list_text(response, expect="json"))
        except BrokenPage as exc:
            self.broken_list(response, exc)
            return
        articles = list(iter_json_articles(payload))
        ids = tuple(post for post in (_count(a.get("id")) for a in articles) if post is not None)
        repeats = bool(ids) and set(ids) <= set(previous)  # past the end, the last page again
        entries: list[ListEntry] = []
        extras: dict[str, dict[str, Any]] = {}
        for position, article in enumerate(articles):
            listed = _text(article.get("url")) or _text(article.get("post_url"))
            url = trusted_post_url(response.urljoin(listed) if listed else None, self._post_url(article), self.base)
            if not url:
                continue
            entries.append(
                ListEntry(url, _text(article.get("title")), _text(article.get("created_at")), position, _state(article))
            )
            extras[url] = {"article": article}
        requests, fresh = self.take_entries(entries, key, extras)
        yield from requests
        total = payload.get("total") if isinstance(payload, dict) else None
        classify = payload.get("classify") if isinstance(payload, dict) else None
        claimed = max(claimed, _count(total) or 0, _count((classify or {}).get("post_count")) or 0)
        per_page = per_page or len(articles)  # the first page tells the page size
        seen_so_far = (page - 1) * per_page + len(articles)
        at_end = (not articles or repeats or self.walk.repeated(key)
                  or (isinstance(total, int) and seen_so_far >= total))
        if at_end:
            self.end_of_category(key, claimed)
        elif fresh and page < self.max_list_pages:
            yield self.api_request(category, page + 1, sid, per_page, claimed=claimed, previous=ids)

    def _post_url(self, article: dict[str, Any]) -> str | None:
        try:
            post = int(article["id"])
        except (KeyError, TypeError, ValueError):
            return None
        return f"{self.base}/gkmlpt/content/{post // 1000000}/{post // 1000}/post_{post}.html"

    def detail_parts(self, response: Response, text: str, entry: ListEntry, extra: dict[str, Any]) -> DetailParts:
        """API metadata first (it is the platform's own record), the page's labels fill gaps.

        The page is parsed once and the tree shared by the three extractors (none mutates it)."""
        root = parse_html(text)
        page = extract_metadata(root)
        article: dict[str, Any] = extra.get("article") or {}
        written = article.get("date")
        metadata = PageMetadata(
            index_no=_text(article.get("identifier")) or page.index_no,
            category=_text(article.get("classify_main_name")) or page.category,
            publisher=_text(article.get("publisher")) or page.publisher,
            written_date=(str(written) if written not in (None, "", 0) else None) or page.written_date,
            title=_text(article.get("title")) or page.title,
            doc_no=_text(article.get("document_number")) or page.doc_no,
            published_date=_text(article.get("created_at")) or page.published_date,
            keywords=_text(article.get("keywords")) or page.keywords,
            validity=page.validity,
            meta=page.meta,
        )
        body = extract_body(root, self.body_selectors)
        if not body.strip():
            content = detail_config_content(text)
            if content:
                body = extract_body(f"<html><body><div class='article-content'>{content}</div></body></html>",
                                    self.body_selectors)
        links = [
            AttachmentLink(str(a.get("name") or ""), response.urljoin(str(a["url"])), str(a.get("type") or "").lower())
            for a in article.get("attachment") or []
            if isinstance(a, dict) and a.get("url")
        ]
        listed = {link.url for link in links}
        links += [link for link in find_attachments(root, response.url) if link.url not in listed]
        abolished = str(article.get("is_abolished") or "0") not in ("0", "", "False", "false")
        if metadata.validity is None and abolished:
            metadata.validity = "废止"
        elif metadata.validity is None and str(article.get("is_expired") or "0") not in ("0", "", "False", "false"):
            metadata.validity = "失效"
        return DetailParts(metadata=metadata, body=body, links=links, is_abolished=abolished)


def _state(article: dict[str, Any]) -> str:
    """What the API says about a post besides title and date; a change here means refetch.

    Abolishing a post (is_abolished) or giving it a 文号 shows in the list API before anyone
    would notice it on the page, so an incremental crawl catches it without a full refetch.
    """
    flags = (article.get(key) for key in ("document_number", "is_abolished", "is_expired"))
    return "|".join("" if value is None else str(value) for value in flags)
