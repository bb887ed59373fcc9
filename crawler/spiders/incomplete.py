"""A document whose page will not come whole: stored from what its list entry showed.

Why: a page that is always cut off mid-body (or always answers 500) used to leave its document
out of the store for good, although the list had shown its title and date — the notice was
never announced. Once it has failed in two runs running (one failure may be a blip, and a new
page is asked for again anyway), it is stored from the list entry and marked ``incomplete``
with the reason; later runs retry it with backoff (:mod:`crawler.freshness`), and a whole page
completes it without a ``revised`` event (:mod:`monitor.changes.revisions`).
"""

from __future__ import annotations

from crawler.normalize import clean_title, parse_date, title_key
from storage.records import DocumentRecord, ListEntry


def incomplete_record(portal: str, entry: ListEntry, reason: str) -> DocumentRecord | None:
    """The record of what the list showed, or None when it showed no title."""
    if not entry.title or not entry.title.strip():
        return None
    title = clean_title(entry.title)
    try:
        published = parse_date(entry.date) if entry.date else None
    except (ValueError, TypeError):
        published = None
    return DocumentRecord(
        portal=portal, url=entry.url, title=title, title_raw=entry.title, title_key=title_key(title),
        published_date=published, published_date_raw=entry.date, list_title=entry.title,
        list_date=entry.date, list_state=entry.state, incomplete=reason[:300],
    )
