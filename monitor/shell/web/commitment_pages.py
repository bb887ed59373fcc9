"""The plan tracker's pages: a plan's commitments (/documents/{id}/commitments) and a region's
(/commitments?region=PREFIX&due_before=DATE), read through ``list_commitments`` as the CLI reads
them, so a page and ``eduwatch commitments`` never disagree on what is promised or due."""

from __future__ import annotations

from datetime import date, datetime
from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from eduwatch.local_time import zone
from monitor.changes.commitments.listing import CommitmentView, list_commitments
from monitor.changes.commitments.types import Commitment
from monitor.shell.cli.commitments import county_of
from monitor.shell.cli.table import display_zone
from monitor.shell.web.deps import database, not_found, render
from storage.models import Document

router = APIRouter(include_in_schema=False)


def local_today() -> date:
    """A deadline is due on the reader's calendar (the display zone), not the server's."""
    return datetime.now(zone(display_zone())).date()


def row(view: CommitmentView) -> dict[str, Any]:
    """What a table row shows: the county and the target written as the CLI writes it (≥50%)."""
    target = Commitment(sentence=view.sentence, section=view.section, indicator=view.indicator, target=view.target,
                        target_max=view.target_max, unit=view.unit, comparison=view.comparison).target_text()
    return {"view": view, "county": county_of(view.region) if view.region else "—", "target": target}


def by_county(views: list[CommitmentView]) -> list[dict[str, Any]]:
    """Rows grouped by region (list_commitments already sorts by region, then deadline)."""
    return [{"region": region or "—", "county": county_of(region) if region else "—", "rows": [row(v) for v in group]}
            for region, group in groupby(views, key=lambda v: v.region)]


@router.get("/documents/{document_id}/commitments", response_class=HTMLResponse)
def plan_commitments(request: Request, document_id: int) -> HTMLResponse:
    db = database(request)
    with db.sessions() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise not_found(f"没有编号为 {document_id} 的文件")
        title = document.title
    views = list_commitments(db, document_id=document_id, today=local_today())
    return render(request, "plan_commitments.html", document_id=document_id, title=title,
                  rows=[row(v) for v in views])


@router.get("/commitments", response_class=HTMLResponse)
def region_commitments(request: Request, region: str = "", due_before: date | None = None) -> HTMLResponse:
    views = list_commitments(database(request), region=region.strip() or None, due_before=due_before,
                             today=local_today())
    return render(request, "commitments.html", groups=by_county(views), total=len(views),
                  form={"region": region, "due_before": due_before or ""})
