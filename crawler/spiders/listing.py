"""Reading list pages: links to documents with the title and date shown beside them.

Shared by the families whose lists are plain HTML (hanweb, TRS, govcn, generic) or the
``articles`` JSON most CMS feeds use; a family with its own list format parses it itself.
"""

from __future__ import annotations

import re
from typing import Any, Iterator
from urllib.parse import urljoin

from crawler.extract import parse_html
from storage.records import ListEntry


def iter_json_articles(payload: Any) -> Iterator[dict[str, Any]]:
    articles = payload.get("articles") if isinstance(payload, dict) else None
    for article in articles or []:
        if isinstance(article, dict):
            yield article


_LIST_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def list_links(text: str, base_url: str, pattern: str | re.Pattern[str]) -> list[ListEntry]:
    """Links to detail pages on an HTML list page, with the title and date shown beside them.

    The title is the link's ``title`` attribute when present (anchor text is often cut with
    ``...``); the date is the first date printed in the link's list item outside the link.
    """
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    root = parse_html(text)
    entries: dict[str, ListEntry] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(base_url, href)
        if not regex.search(url.split("?", 1)[0]) or url in entries:
            continue
        shown = re.sub(r"\s+", " ", anchor.text_content() or "").strip()
        title = (anchor.get("title") or "").strip() or shown or None
        entries[url] = ListEntry(url, title, _date_beside(anchor, shown), len(entries))
    return list(entries.values())


def _date_beside(anchor: Any, shown: str) -> str | None:
    node = anchor.getparent()
    for _ in range(3):  # the <li>, or a wrapper a level or two up
        if node is None:
            break
        around = (node.text_content() or "").replace(shown, " ", 1)
        match = _LIST_DATE.search(around)
        if match:
            return match.group(0).strip()
        if node.tag in ("li", "tr", "dd"):
            break
        node = node.getparent()
    return None
