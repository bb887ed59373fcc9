"""Which subscriber wants which event: the filters of one subscription.

A subscriber's filters are ANDed: region prefix, portal name, keyword and event kind must all
agree (an empty list means "any"). The event filters and the kinds each selects are
:data:`eduwatch.event_kinds.FILTERS`; this module adds one rule of its own: a
``metadata_changed`` event that moved only dates alerts nobody (portals re-date a notice when
they touch it, and the edit that came with it is already its own ``revised`` alert).

Nothing about a non-plan reaches anybody unless they asked for ``any_new``. A portal without a
region matches only subscribers without a region filter.
"""

from __future__ import annotations

from typing import Sequence

from eduwatch.event_kinds import DEFAULT_EVENT_FILTERS, FILTERS, METADATA_CHANGED
from storage.models import Document, Event, Portal, Subscriber


def matches(subscriber: Subscriber, event: Event, document: Document, portal: Portal | None) -> bool:
    """True when ``subscriber`` is owed an alert about ``event``."""
    return match_reasons(subscriber, event, document, portal) is not None


def match_reasons(
    subscriber: Subscriber, event: Event, document: Document, portal: Portal | None
) -> list[str] | None:
    """Why ``subscriber`` gets ``event`` (shown in the alert), or None when it does not.

    ``portal`` is the portal the event happened on; when it is None (an event about a document
    rather than a page) every portal showing the document is considered.
    """
    if not subscriber.active:
        return None
    reasons: list[str] = []
    event_filter = _event_filter(subscriber.events or DEFAULT_EVENT_FILTERS, event)
    if event_filter is None:
        return None
    reasons.append(f"event: {event_filter}")
    portals = [portal] if portal is not None else [s.portal for s in document.sources if s.portal is not None]
    if subscriber.regions:
        region = _first_region_match(subscriber.regions, portals)
        if region is None:
            return None
        reasons.append(f"region: {region}")
    if subscriber.portals:
        names = sorted({p.name for p in portals} & set(subscriber.portals))
        if not names:
            return None
        reasons.append(f"portal: {names[0]}")
    if subscriber.keywords:
        keyword = _first_keyword(subscriber.keywords, document)
        if keyword is None:
            return None
        reasons.append(f"keyword: {keyword}")
    return reasons


def _event_filter(filters: Sequence[str], event: Event) -> str | None:
    """The first of the subscriber's event filters that selects ``event``."""
    if _dates_only(event):
        return None
    for name in filters:
        selected = FILTERS.get(name)
        if selected is not None and selected.selects(event.kind, bool(event.is_rural_plan)):
            return name
    return None


_DATE_FIELDS = {"written_date", "published_date", "written_date_raw", "published_date_raw"}


def _dates_only(event: Event) -> bool:
    """A ``metadata_changed`` event that moved nothing but dates."""
    if event.kind != METADATA_CHANGED:
        return False
    changes = (event.details or {}).get("changes") or {}
    return bool(changes) and set(changes) <= _DATE_FIELDS


def _normalise_region(region: str) -> str:
    return "".join(region.split()).replace("/", "")


def _first_region_match(wanted: list[str], portals: list[Portal]) -> str | None:
    for portal in portals:
        have = _normalise_region(portal.region or "")
        for region in wanted:
            if region.strip() and have.startswith(_normalise_region(region)):
                return region
    return None


def _first_keyword(keywords: list[str], document: Document) -> str | None:
    haystack = f"{document.title or ''}\n{document.body or ''}".casefold()
    for keyword in keywords:
        if keyword.strip() and keyword.casefold() in haystack:
            return keyword
    return None
