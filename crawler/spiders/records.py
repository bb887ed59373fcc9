"""From a detail page to a :class:`DocumentRecord`: the parts a family reads, then one normaliser.

Every family hands :func:`document_record` the same :class:`DetailParts` (labels, body,
attachment links), so titles, 文号, 索引号, dates and 有效性 are normalised the same way on
every portal and the store decides identity from comparable values.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler.extract.attachments import AttachmentLink
from crawler.extract.labels import PageMetadata
from crawler.normalize import (
    clean_title,
    find_signature_date,
    normalize_doc_no,
    normalize_index_no,
    normalize_publisher,
    parse_date,
    title_key,
)
from storage.records import DocumentRecord, ListEntry

_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


class BrokenPage(ValueError):
    """A page that arrived but cannot be trusted (truncated, not the JSON it should be …)."""


@dataclass
class DetailParts:
    """What a family reads off a detail page, before normalising."""

    metadata: PageMetadata
    body: str
    links: list[AttachmentLink] = field(default_factory=list)
    is_abolished: bool = False


def header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def document_record(portal: str, response: Response, text: str, entry: ListEntry, parts: DetailParts) -> DocumentRecord:
    """Normalise the raw fields (the store decides identity from the normalised ones)."""
    meta = parts.metadata
    title_raw = meta.title or (meta.meta or {}).get("ArticleTitle") or page_title(text) or entry.title
    if not title_raw:
        raise BrokenPage("detail page has no title")
    title = clean_title(title_raw)
    written = parse_date(meta.written_date) if meta.written_date else None
    published = parse_date(meta.published_date) if meta.published_date else None
    if published is None and entry.date:
        published = parse_date(entry.date)
    validity = meta.validity
    return DocumentRecord(
        portal=portal,
        url=entry.url,
        title=title,
        title_raw=title_raw,
        title_key=title_key(title),
        body=parts.body,
        index_no=normalize_index_no(meta.index_no),
        index_no_raw=meta.index_no,
        doc_no=normalize_doc_no(meta.doc_no),
        doc_no_raw=meta.doc_no,
        publisher=normalize_publisher(meta.publisher),
        category=meta.category,
        keywords=meta.keywords,
        written_date=written,
        written_date_raw=meta.written_date,
        published_date=published,
        published_date_raw=meta.published_date,
        validity=validity,
        is_abolished=parts.is_abolished or (validity or "").strip() == "废止",
        site=urlsplit(entry.url).netloc.lower(),
        etag=header(response, "ETag"),
        last_modified=header(response, "Last-Modified"),
        list_title=entry.title,
        list_date=entry.date,
        list_state=entry.state,
    )


def page_title(text: str) -> str | None:
    """The page's ``<h1>`` or ``<title>``, for pages whose label table names no title."""
    for pattern in (_H1, _TITLE):
        match = pattern.search(text)
        if match and _strip_tags(match.group(1)):
            return _strip_tags(match.group(1))
    return None


def signature_date(body: str) -> str | None:
    """成文日期 from the signature block, for pages without a label table (generic)."""
    day = find_signature_date(body)
    return day.isoformat() if day else None


def _strip_tags(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", text))).strip()
