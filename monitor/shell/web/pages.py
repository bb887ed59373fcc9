"""The list pages: what is new (/), documents, events, portals, search."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from eduwatch.event_kinds import EVENT_KINDS
from monitor.changes.events import list_events
from monitor.shell.web.deps import PAGE_SIZE, config, database, render
from monitor.shell.web.display import PLAN_KINDS, segments
from monitor.shell.web.health import portal_health
from monitor.shell.web.pager import Pager
from storage.documents import DocumentQuery, count_documents, list_documents
from storage.search import SearchQuery, search

router = APIRouter(include_in_schema=False)
HOME_EVENTS = 15
TEXT_FILTER_LIMIT = 1000  # search matches a documents list filters on


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    db = database(request)
    plan_events = [e for e in list_events(db, plans=True, newest_first=True, limit=HOME_EVENTS * 2)
                   if e.kind in PLAN_KINDS][:HOME_EVENTS]
    other_events = list_events(db, plans=False, newest_first=True, limit=HOME_EVENTS)
    health = portal_health(db, config(request))
    troubled = [h for h in health if h.state not in ("ok", "disabled", "running")]
    return render(request, "home.html", plan_events=plan_events, other_events=other_events,
                  health=health, troubled=troubled)


def _matching_ids(request: Request, text: str) -> tuple[int, ...]:
    with database(request).engine.connect() as connection:
        page = search(connection, SearchQuery(text, limit=TEXT_FILTER_LIMIT))
    return tuple(hit.document_id for hit in page.hits)


@router.get("/documents", response_class=HTMLResponse)
def documents(
    request: Request, q: str = "", portal: str = "", region: str = "", plans: bool = False, kind: str = "",
    since: date | None = None, until: date | None = None, page: int = Query(1, ge=1),
) -> HTMLResponse:
    query = DocumentQuery(
        portal=portal or None, region=region or None, plans=plans, event_kind=kind or None, since=since,
        until=until, ids=_matching_ids(request, q) if q.strip() else None, newest_first=True,
    )
    with database(request).sessions() as session:
        total = count_documents(session, query)
        pager = Pager.of(request, page, PAGE_SIZE, total)
        rows = list_documents(session, DocumentQuery(**{**query.__dict__, "limit": PAGE_SIZE, "offset": pager.offset}))
    return render(request, "documents.html", rows=rows, pager=pager, portals=config(request).portals,
                  kinds=EVENT_KINDS, form={"q": q, "portal": portal, "region": region, "plans": plans,
                                           "kind": kind, "since": since or "", "until": until or ""})


@router.get("/events", response_class=HTMLResponse)
def events(request: Request, kind: str = "", plans: bool = False, page: int = Query(1, ge=1)) -> HTMLResponse:
    db = database(request)
    chosen = kind if kind in EVENT_KINDS else None
    # One more than a page tells whether there is a next one, without counting every event.
    found = list_events(db, kind=chosen, plans=True if plans else None, newest_first=True,
                        limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    pager = Pager.of(request, page, PAGE_SIZE, (page - 1) * PAGE_SIZE + len(found))
    return render(request, "events.html", events=found[:PAGE_SIZE], pager=pager, kinds=EVENT_KINDS,
                  form={"kind": kind, "plans": plans})


@router.get("/portals", response_class=HTMLResponse)
def portals(request: Request) -> HTMLResponse:
    return render(request, "portals.html", health=portal_health(database(request), config(request)))


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = "", portal: str = "", plans: bool = False,
                page: int = Query(1, ge=1)) -> HTMLResponse:
    result = None
    pager = None
    if q.strip():
        with database(request).engine.connect() as connection:
            result = search(connection, SearchQuery(q, portal=portal or None, plans=plans, limit=PAGE_SIZE,
                                                    offset=(page - 1) * PAGE_SIZE))
        pager = Pager.of(request, page, PAGE_SIZE, result.total)
    return render(request, "search.html", result=result, pager=pager, segments=segments,
                  portals=config(request).portals, form={"q": q, "portal": portal, "plans": plans})
