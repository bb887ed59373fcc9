"""The JSON API (``/api/…``, spec at ``/api/openapi.json``): the CLI's ``--json`` views, served.

Every route returns what the matching command prints with ``--json`` (the same builders:
storage.documents, monitor.changes.events, storage.search, the portals view), so a script can
move between the two. Times are ISO UTC with ``Z``; dates are ``YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from eduwatch.event_kinds import EVENT_KINDS
from monitor.changes.events import list_events
from monitor.shell.cli.crawl import portal_view
from monitor.shell.cli.events import parse_since
from monitor.shell.cli.web import search_view
from monitor.shell.web.deps import MAX_PAGE_SIZE, config, database, json_response, not_found
from monitor.shell.web.document_pages import revisions_of
from storage.documents import DocumentQuery, get_document, list_documents
from storage.runs import Runs
from storage.search import SearchQuery, search

router = APIRouter(prefix="/api", tags=["api"])
JSON_DOC = {200: {"content": {"application/json": {}}, "description": "as the CLI's --json prints it"}}


@router.get("/documents", responses=JSON_DOC, summary="documents, as `eduwatch documents --json`")
def documents(request: Request, portal: str | None = None, since: date | None = None,
              limit: int = Query(50, ge=1, le=MAX_PAGE_SIZE), offset: int = Query(0, ge=0)) -> Response:
    with database(request).sessions() as session:
        views = list_documents(session, DocumentQuery(portal=portal, since=since, limit=limit, offset=offset))
    return json_response(views)


@router.get("/documents/{document_id}", responses=JSON_DOC, summary="one document, as `eduwatch show ID --json`")
def document(request: Request, document_id: int) -> Response:
    with database(request).sessions() as session:
        view = get_document(session, document_id)
    if view is None:
        raise not_found(f"no document with id {document_id}")
    return json_response(view)


@router.get("/documents/{document_id}/revisions", responses=JSON_DOC, summary="a document's revisions")
def revisions(request: Request, document_id: int) -> Response:
    with database(request).sessions() as session:
        if get_document(session, document_id) is None:
            raise not_found(f"no document with id {document_id}")
        views: list[dict[str, Any]] = [
            {"number": r.number, "created_at": r.created_at, "content_hash": r.content_hash,
             "reverts_to": r.reverts_to, "meta": r.meta, "body_chars": len(r.body or "")}
            for r in revisions_of(session, document_id)
        ]
    return json_response(views)


@router.get("/events", responses=JSON_DOC, summary="change events, as `eduwatch events --json`")
def events(request: Request, since: str | None = None, kind: str | None = None,
           limit: int = Query(100, ge=1, le=1000)) -> Response:
    if kind is not None and kind not in EVENT_KINDS:
        return json_response({"detail": f"unknown kind {kind!r} (known: {', '.join(EVENT_KINDS)})"}, 422)
    try:
        start: datetime | None = parse_since(since) if since else None
    except Exception:  # noqa: BLE001 — argparse's error type; the message is the same
        return json_response({"detail": f"not a date or datetime: {since!r}"}, 422)
    views = list_events(database(request), since=start, kind=kind, limit=limit)
    return json_response([view.to_dict() for view in views])


@router.get("/search", responses=JSON_DOC, summary="full-text search, as `eduwatch search Q --json`")
def search_api(request: Request, q: str, portal: str | None = None, plans: bool = False,
               limit: int = Query(20, ge=1, le=MAX_PAGE_SIZE), offset: int = Query(0, ge=0)) -> Response:
    with database(request).engine.connect() as connection:
        page = search(connection, SearchQuery(q, portal=portal, plans=plans, limit=limit, offset=offset))
    return json_response(search_view(page))


@router.get("/portals", responses=JSON_DOC, summary="portals and last crawls, as `eduwatch portals --json`")
def portals(request: Request) -> Response:
    latest = Runs(database(request)).latest()
    return json_response([portal_view(portal, latest.get(portal.name)) for portal in config(request).portals])
