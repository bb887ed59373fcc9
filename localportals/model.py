"""Documents and sites of the imitation portals, with the mutations the monitor tests need.

A :class:`Site` is one portal of one CMS family. Its documents are plain dataclasses; the
family module (``localportals.families.*``) turns them into the pages that family serves.
Everything that changes after start-up goes through a ``Site`` method under its lock, so a
test can mutate a portal while a crawl is running against it.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Callable

from localportals.faults import Faults

BEIJING = dt.timezone(dt.timedelta(hours=8))


@dataclass
class Attachment:
    """A file linked from a document; ``build`` makes its bytes on first request (docx/pdf are slow-ish)."""

    id: int
    name: str  # shown file name, e.g. "惠来县……教育行动方案.docx"
    type: str  # "docx" | "pdf" | "xlsx" ...
    build: Callable[[], bytes]
    _cache: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def mime(self) -> str:
        return MIME_TYPES.get(self.type, "application/octet-stream")

    def data(self) -> bytes:
        if self._cache is None:
            self._cache = self.build()
        return self._cache


MIME_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Doc:
    """One published document (a notice, a plan, a news page)."""

    id: int
    title: str
    body: str  # plain text, paragraphs separated by "\n"
    published_date: dt.date  # 发布日期
    index_no: str = ""  # 索引号
    doc_no: str = ""  # 文号
    publisher: str = ""  # 发布机构
    category: str = "其他"  # 分类 (gkmlpt: the TREE node it is filed under)
    written_date: dt.date | None = None  # 成文日期
    keywords: str = ""  # 主题词
    validity: str | None = None  # 有效性: "有效" | "失效" | "废止" | None (not shown)
    abolished: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    # Rendering switches a family may honour:
    #   attachment_only       body is just "详见附件。"
    #   doc_no_split_markup   body 文号 line rendered as 桓政办字〔<span>2023</span>〕<font>18</font>号
    #   no_labels             (generic) no label table; title in <h1>, date only in the page text
    #   li_labels / table_labels  (trs) which metadata markup to use
    #   duplicate_column      (hanweb) also listed as art_{that column}_{id} three days later
    #   hex_id                (generic) the 24-hex doc id in the URL
    #   source                ContentSource meta / 来源 line
    flags: dict[str, object] = field(default_factory=dict)
    views: int = 0
    list_date: dt.date | None = None  # date shown in lists; touch() moves it
    modified: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def shown_date(self) -> dt.date:
        return self.list_date or self.published_date

    @property
    def published_time(self) -> str:
        """A stable 'HH:MM:SS' so created_at strings look real but never change between runs."""
        seconds = 8 * 3600 + (self.id * 7919) % (9 * 3600)
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@dataclass
class RequestRecord:
    """What a crawler asked for; tests assert on these."""

    method: str
    target: str  # path + query, as sent
    headers: dict[str, str]  # selected: If-None-Match, If-Modified-Since, User-Agent, Cookie, Host
    status: int = 0

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class Site:
    """One portal: family, options, documents, faults, request log. Thread-safe.

    ``options`` holds the family's own settings plus real-world variants, all off by default:
    ``omit_end_tags`` (every HTML page ends without ``</body></html>``, as some portals do) and
    the family-specific ones documented in each ``localportals.families`` module.
    """

    def __init__(
        self,
        family: str,
        name: str,
        title: str,
        docs: list[Doc] | None = None,
        *,
        prefix: str = "",
        encoding: str = "utf-8",
        charset_in_header: bool = True,
        page_size: int = 10,
        conditional: bool = False,
        view_counter: bool = False,
        robots_disallow: list[str] | None = None,
        faults: Faults | None = None,
        site_domain: str = "www.example.gov.cn",
        site_id_code: str = "0000000000",
        options: dict[str, object] | None = None,
    ) -> None:
        from localportals.families import family_for  # late: families import this module

        self.family_name = family
        self.family = family_for(family)
        self.name = name
        self.title = title  # SiteName, e.g. "惠来县人民政府"
        self.prefix = prefix.rstrip("/")
        self.encoding = encoding.lower()
        self.charset_in_header = charset_in_header
        self.page_size = page_size
        self.conditional = conditional
        self.view_counter = view_counter
        self.robots_disallow = list(robots_disallow or [])
        self.faults = faults or Faults()
        self.site_domain = site_domain
        self.site_id_code = site_id_code
        self.options: dict[str, object] = dict(self.family.default_options())
        self.options.update(options or {})
        self.docs: list[Doc] = list(docs or [])
        self.gone: set[int] = set()  # removed doc ids: detail answers 404
        self.base_url = ""  # set by the server that serves this site
        self.modified = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        self.log: list[RequestRecord] = []
        self.path_hits: dict[str, int] = {}
        self.lock = threading.RLock()

    # ---- reading -------------------------------------------------------------------
    def listed(self) -> list[Doc]:
        """Documents visible in lists, newest first (by list date, then id)."""
        with self.lock:
            return sorted(self.docs, key=lambda d: (d.shown_date, d.id), reverse=True)

    def doc(self, doc_id: int) -> Doc | None:
        with self.lock:
            return next((d for d in self.docs if d.id == doc_id), None)

    def url(self, doc_id: int) -> str:
        """Absolute detail URL of a document (server must be started)."""
        doc = self._need(doc_id)
        return self.base_url_root + self.family.detail_path(self, doc)

    def detail_path(self, doc_id: int) -> str:
        return self.family.detail_path(self, self._need(doc_id))

    @property
    def base_url_root(self) -> str:
        """scheme://host:port without the site prefix."""
        return self.base_url[: len(self.base_url) - len(self.prefix)] if self.prefix else self.base_url

    def list_urls(self) -> list[str]:
        """Entry points for a PortalConfig.list_urls (empty for gkmlpt: it uses base_url)."""
        return [self.base_url_root + p for p in self.family.list_paths(self)]

    def portal_config(self) -> dict[str, object]:
        """Keyword arguments for eduwatch.config.PortalConfig describing this site."""
        cfg: dict[str, object] = {
            "name": self.name,
            "title": self.title,
            "region": str(self.options.get("region", self.title)),
            "platform": self.family_name,
            "base_url": self.base_url,
            "list_urls": tuple(self.list_urls()),
        }
        pattern = self.family.detail_pattern(self)
        if pattern:
            cfg["detail_pattern"] = pattern
        return cfg

    # ---- mutations (tests, demo) ---------------------------------------------------
    def add_doc(self, doc: Doc) -> Doc:
        with self.lock:
            if any(d.id == doc.id for d in self.docs):
                raise ValueError(f"{self.name}: document id {doc.id} already exists")
            self.docs.append(doc)
            self.gone.discard(doc.id)
            self._changed(doc)
            return doc

    def edit_body(self, doc_id: int, old: str, new: str) -> Doc:
        with self.lock:
            doc = self._need(doc_id)
            if old not in doc.body:
                raise ValueError(f"{self.name}: {old!r} is not in the body of document {doc_id}")
            doc.body = doc.body.replace(old, new, 1)
            self._changed(doc)
            return doc

    def set_title(self, doc_id: int, title: str) -> Doc:
        with self.lock:
            doc = self._need(doc_id)
            doc.title = title
            self._changed(doc)
            return doc

    def remove_doc(self, doc_id: int) -> Doc:
        """The document leaves every list and its detail page answers 404."""
        with self.lock:
            doc = self._need(doc_id)
            self.docs.remove(doc)
            self.gone.add(doc_id)
            self._changed(None)
            return doc

    def abolish(self, doc_id: int, validity: str = "废止") -> Doc:
        with self.lock:
            doc = self._need(doc_id)
            doc.validity = validity
            doc.abolished = validity == "废止"
            self._changed(doc)
            return doc

    def touch(self, doc_id: int, new_date: dt.date | None = None) -> Doc:
        """Move the document's list date (default: one day later), as a re-publication does."""
        with self.lock:
            doc = self._need(doc_id)
            doc.list_date = new_date or (doc.shown_date + dt.timedelta(days=1))
            self._changed(doc)
            return doc

    def reset_log(self) -> None:
        with self.lock:
            self.log.clear()

    def requests_to(self, path: str) -> list[RequestRecord]:
        """Logged requests whose path (without query) equals ``path`` or ends with it."""
        with self.lock:
            return [r for r in self.log if r.path == path or r.path.endswith(path)]

    def next_id(self) -> int:
        with self.lock:
            return max([d.id for d in self.docs] + list(self.gone) + [0]) + 1

    # ---- internals -----------------------------------------------------------------
    def _need(self, doc_id: int) -> Doc:
        doc = self.doc(doc_id)
        if doc is None:
            raise KeyError(f"{self.name}: no document {doc_id}")
        return doc

    def _changed(self, doc: Doc | None) -> None:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        # Last-Modified has one-second resolution: make every change visible to a conditional GET.
        if now <= self.modified:
            now = self.modified + dt.timedelta(seconds=1)
        self.modified = now
        if doc is not None:
            doc.modified = now
