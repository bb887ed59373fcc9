"""Recognising a CMS family on one page, by the marks in ``../shared/notes/platforms.md``.

Each check returns a :class:`Match` with a confidence and the evidence a person can verify, or
None. Weak marks (a ``/col/col…/`` link, which footers of every family carry) count only with a
strong one beside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.detect.fetch import Page
from crawler.detect.links import anchors, document_pattern

_GKMLPT_PATH = re.compile(r"^(?P<prefix>.*?)/gkmlpt/")
_HANWEB_COLUMN = re.compile(r"/col/col\d+/")
_GOVCN_DETAIL = re.compile(r"/zhengce/content/")
_TRS_DETAIL = re.compile(r"/t\d{8}_\d+\.s?html$")


@dataclass
class Match:
    platform: str
    confidence: float
    evidence: list[str] = field(default_factory=list)
    base_url: str = ""
    list_urls: list[str] = field(default_factory=list)
    detail_pattern: str | None = None


def recognise(page: Page) -> Match | None:
    """The family ``page`` shows, best evidence first; None when nothing marks it as a list."""
    for check in (_gkmlpt, _hanweb, _trs, _govcn, _generic):
        match = check(page)
        if match is not None:
            return match
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _gkmlpt(page: Page) -> Match | None:
    path = urlsplit(page.url).path
    at_index = _GKMLPT_PATH.match(path)
    has_config = "window._CONFIG" in page.text and ("TREE" in page.text or "SID" in page.text)
    if not (at_index and has_config):
        return None
    evidence = [f"{page.url} is a gkmlpt catalogue (/gkmlpt/ path)", "its script holds window._CONFIG with the category TREE"]
    return Match("gkmlpt", 0.95, evidence, base_url=_origin(page.url) + at_index["prefix"])


def _hanweb(page: Page) -> Match | None:
    marks = [mark for mark in ("<datastore>", "dataproxy.jsp") if mark in page.text]
    if not marks:
        return None
    evidence = [f"the page holds {' and '.join(marks)} (大汉 jcms list)"]
    if _HANWEB_COLUMN.search(urlsplit(page.url).path):
        evidence.append(f"{urlsplit(page.url).path} is a /col/col…/ column")
    return Match("hanweb", 0.9 if len(evidence) > 1 else 0.75, evidence, base_url=_origin(page.url), list_urls=[page.url])


def _trs(page: Page) -> Match | None:
    marks = [mark for mark in ("createPageHTML", "var countPage") if mark in page.text]
    if not marks:
        return None
    evidence = [f"the page calls {' / '.join(marks)} (TRS WCM paging)"]
    details = sum(1 for url, _ in anchors(page.text, page.url) if _TRS_DETAIL.search(urlsplit(url).path))
    if details:
        evidence.append(f"{details} links like …/t20220417_974894.html (TRS documents)")
    return Match("trs", 0.9 if details else 0.7, evidence, base_url=_origin(page.url), list_urls=[page.url])


def _govcn(page: Page) -> Match | None:
    details = [url for url, _ in anchors(page.text, page.url) if _GOVCN_DETAIL.search(urlsplit(url).path)]
    if len(details) < 3 or "/zhengce/" not in urlsplit(page.url).path:
        return None
    evidence = [f"{len(details)} links to /zhengce/content/… (the gov.cn policy library)"]
    return Match("govcn", 0.85, evidence, base_url=_origin(page.url), list_urls=[page.url])


def _generic(page: Page) -> Match | None:
    pattern, count = document_pattern(page.text, page.url)
    if pattern is None:
        return None
    evidence = [f"no CMS family's marks; {count} links look like documents ({pattern})"]
    return Match("generic", min(0.7, 0.4 + 0.03 * count), evidence, base_url=_origin(page.url),
                 list_urls=[page.url], detail_pattern=pattern)
