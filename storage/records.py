"""Typed records that cross from the crawler into the store.

The crawler normalises; the store decides identity and persists. Raw values travel beside
the normalised ones so that nothing a portal printed is ever lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class AttachmentRecord:
    name: str
    url: str
    type: str  # lower-case extension: "pdf", "docx", "xls" …
    size: int | None = None
    text: str | None = None  # extracted text for .docx/.pdf that were downloaded
    error: str | None = None  # why the text is missing (too large, broken file …)


@dataclass
class DocumentRecord:
    """One document as seen at one URL on one portal during one crawl."""

    portal: str
    url: str
    title: str
    body: str = ""
    index_no: str | None = None  # 索引号, normalised
    index_no_raw: str | None = None
    doc_no: str | None = None  # 文号, normalised
    doc_no_raw: str | None = None
    publisher: str | None = None
    category: str | None = None
    keywords: str | None = None
    written_date: date | None = None  # 成文日期
    published_date: date | None = None  # 发布日期
    written_date_raw: str | None = None
    published_date_raw: str | None = None
    validity: str | None = None  # 有效性: 有效 / 失效 / 废止
    is_abolished: bool = False
    title_raw: str | None = None
    # Comparison form of the title (crawler.normalize.titles.title_key) for the fingerprint.
    title_key: str | None = None
    site: str | None = None  # host that issued the 索引号 (it is unique per site only)
    attachments: list[AttachmentRecord] = field(default_factory=list)
    # HTTP validators of the detail page, for conditional GET on the next visit.
    etag: str | None = None
    last_modified: str | None = None
    # What the list page said about this entry, to notice a changed entry next time.
    list_title: str | None = None
    list_date: str | None = None
    list_state: str | None = None
    # Why this record holds only what its list entry showed (the page came cut off or
    # answered 500); None for a record read from a whole page.
    incomplete: str | None = None


@dataclass
class ListEntry:
    """A link to a document as a list page (or list API) shows it."""

    url: str
    title: str | None = None
    date: str | None = None
    position: int = 0
    # Other facts the list shows that an edit would change (gkmlpt's API: 文号, 废止/失效 flags).
    state: str | None = None


@dataclass(frozen=True)
class FetchError:
    url: str
    reason: str
