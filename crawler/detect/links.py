"""A page's links as detection reads them: columns to follow and links that look like documents."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

import lxml.html

# anchor words of the columns an education watcher wants, best first
COLUMN_WORDS = ("政府信息公开", "信息公开", "政策文件", "政府文件", "教育", "公文", "最新政策", "文件")
_HEX = re.compile(r"[0-9a-f]{16,}")
_DIGITS = re.compile(r"\d+")


def anchors(html: str, base: str) -> list[tuple[str, str]]:
    """(absolute URL, anchor text or title) of every link on the page."""
    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    found = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("javascript:", "mailto:", "#")):
            found.append((urljoin(base, href), (a.get("title") or a.text_content() or "").strip()))
    return found


def same_site(url: str, base: str) -> bool:
    return urlsplit(url).netloc == urlsplit(base).netloc


def column_links(html: str, base: str) -> list[tuple[str, str]]:
    """Same-site links whose text names a wanted column, best word first."""
    ranked = []
    for url, text in anchors(html, base):
        for rank, word in enumerate(COLUMN_WORDS):
            if word in text and same_site(url, base):
                ranked.append((rank, url, text))
                break
    seen, result = set(), []
    for _, url, text in sorted(ranked, key=lambda item: item[0]):
        if url not in seen:
            seen.add(url)
            result.append((url, text))
    return result


def shape(url: str) -> str:
    """A regex for links like ``url``: its last path segment with ids generalised.

    ``/gongkai/…/doc_6507ff1ce7f79f1832269fe0.html`` → ``/doc_[0-9a-f]{24}\\.html$``."""
    segment = urlsplit(url).path.rsplit("/", 1)[-1]
    out, position = [], 0
    for match in re.finditer(r"[0-9a-f]{16,}|\d+", segment):
        out.append(re.escape(segment[position:match.start()]))
        text = match.group()
        out.append(f"[0-9a-f]{{{len(text)}}}" if _HEX.fullmatch(text) and not text.isdigit() else r"\d+")
        position = match.end()
    out.append(re.escape(segment[position:]))
    return "/" + "".join(out) + "$"


def document_pattern(html: str, base: str, minimum: int = 3) -> tuple[str | None, int]:
    """The most common shape among same-site links that carry an id (a document's), and how
    many links have it; (None, 0) when fewer than ``minimum`` links share one."""
    shapes = Counter(
        shape(url) for url, _ in anchors(html, base)
        if same_site(url, base) and _DIGITS.search(urlsplit(url).path.rsplit("/", 1)[-1] or "")
        and not urlsplit(url).path.endswith(("/index.html", "/index.shtml"))
    )
    if not shapes:
        return None, 0
    pattern, count = shapes.most_common(1)[0]
    return (pattern, count) if count >= minimum else (None, 0)
