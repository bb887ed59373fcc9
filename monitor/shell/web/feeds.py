"""Atom feeds: every plan event, and each subscriber's own events behind its token.

A subscriber's feed holds exactly what its filters select (alerts.matching, the rules its
e-mail and WeCom alerts follow). A wrong or revoked token and an unknown name get the same 404,
so the feed URL does not tell whether a subscriber exists.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from alerts.matching import match_reasons
from monitor.shell.web.deps import database, not_found, public_base
from storage import feed_tokens
from storage.models import Document, Event, Source, Subscriber, utcnow

router = APIRouter(include_in_schema=False)
FEED_ENTRIES = 50
SCANNED_EVENTS = 1000  # newest events a subscriber's filters are applied to
ATOM = "application/atom+xml; charset=utf-8"


def _events(session: Session, plans_only: bool, limit: int) -> list[Event]:
    query = (
        select(Event)
        .options(selectinload(Event.document).selectinload(Document.sources).selectinload(Source.portal),
                 selectinload(Event.portal))
        .order_by(Event.at.desc(), Event.id.desc())
        .limit(limit)
    )
    if plans_only:
        query = query.where(Event.is_rural_plan.is_(True))
    return list(session.scalars(query))


def _feed(request: Request, title: str, feed_id: str, events: list[Event], self_path: str) -> Response:
    base = public_base(request)
    body = request.app.state.templates.get_template("feed.xml").render(
        title=title, feed_id=feed_id, base=base, self_url=base + self_path, events=events,
        updated=events[0].at if events else utcnow(),
    )
    return Response(body, media_type=ATOM, headers={"Cache-Control": "private, max-age=60"})


@router.get("/feeds/plans.atom")
def plans_feed(request: Request) -> Response:
    with database(request).sessions() as session:
        events = _events(session, plans_only=True, limit=FEED_ENTRIES)
        return _feed(request, "eduwatch：乡村教育规划动态", "tag:eduwatch,2026:plans", events, "/feeds/plans.atom")


@router.get("/feeds/subscribers/{name}.atom")
def subscriber_feed(request: Request, name: str, token: str = "") -> Response:
    with database(request).sessions() as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.name == name, Subscriber.active.is_(True)))
        if subscriber is None or not feed_tokens.opens(session, subscriber, token):
            raise not_found("没有这个订阅源，或令牌不对 (no such feed, or a wrong token)")
        events = [
            event for event in _events(session, plans_only=False, limit=SCANNED_EVENTS)
            if match_reasons(subscriber, event, event.document, event.portal) is not None
        ][:FEED_ENTRIES]
        # The token is not echoed into the feed: a shared feed file should not carry its key.
        return _feed(request, f"eduwatch：{name} 的订阅", f"tag:eduwatch,2026:subscriber:{subscriber.id}", events,
                     f"/feeds/subscribers/{name}.atom")
