"""The plan tracker's pages over HTTP, on SQLite and PostgreSQL: a plan's commitments, a region's
(filtered by prefix and deadline, grouped by county, due ones marked), the link from the document
page, and portal text escaped wherever it shows."""

from __future__ import annotations

from types import SimpleNamespace

from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.changes.commitments.record import store_commitments
from storage.models import Document, PlanCommitment, Revision
from tests.monitor.shell.web.site import PLAN_TITLE, Site

EVIL_PLAN = ('一、发展目标\n到2030年，建成<script>alert("c")</script>寄宿制学校<b>3</b>所以上，'
             '由县<img src=x onerror=alert(2)>教育局牵头。')


def _add_evil_commitments(site: Site) -> None:
    """The huilai document's latest revision gets commitments whose sentence holds HTML, stored
    by the change pass's own code (``store_commitments``) from a hostile plan text."""
    with site.db.transaction() as session:
        document = session.get(Document, site.evil_id)
        assert document is not None
        latest = session.scalar(select(Revision).where(Revision.document_id == site.evil_id)
                                .order_by(Revision.number.desc()).limit(1))
        assert latest is not None
        text = SimpleNamespace(id=latest.id, body=EVIL_PLAN, attachments_text="")
        assert store_commitments(session, document, text)  # type: ignore[arg-type]


def test_plan_page_lists_its_commitments_with_due_marked(client: TestClient, site: Site) -> None:
    page = client.get(f"/documents/{site.plan_id}/commitments")
    assert page.status_code == 200
    html = page.text
    assert PLAN_TITLE in html and "规划中的承诺" in html
    assert "2024-12-31" in html and "到期" in html  # 力争2024年… has passed
    assert "2035-12-31" in html and "45周岁以下乡村校长" in html and "≥50%" in html
    assert "县域内" in html and "县教育体育局" in html
    assert html.index("2024-12-31") < html.index("2035-12-31")  # by deadline


def test_document_page_links_to_commitments_only_when_there_are_some(client: TestClient, site: Site) -> None:
    assert f'href="/documents/{site.plan_id}/commitments"' in client.get(f"/documents/{site.plan_id}").text
    assert f'href="/documents/{site.evil_id}/commitments"' not in client.get(f"/documents/{site.evil_id}").text
    assert client.get("/documents/999999/commitments").status_code == 404


def test_region_page_filters_by_prefix_and_deadline(client: TestClient, site: Site) -> None:
    _add_evil_commitments(site)
    shandong = client.get("/commitments", params={"region": "山东省淄博市"})
    assert shandong.status_code == 200
    assert "桓台县" in shandong.text and f'href="/documents/{site.plan_id}"' in shandong.text
    assert "寄宿制学校" not in shandong.text  # huilai is in 广东省
    everywhere = client.get("/commitments").text
    assert everywhere.count("<h2>桓台县") == 1 and everywhere.count("<h2>惠来县") == 1  # one table per county
    due = client.get("/commitments", params={"region": "山东省", "due_before": "2026-01-01"}).text
    assert "2024-12-31" in due and "2025-12-31" in due and "2027-12-31" not in due
    assert "没有符合条件的承诺" in client.get("/commitments", params={"region": "西藏"}).text
    assert client.get("/commitments", params={"due_before": "not-a-date"}).status_code == 422


def test_portal_text_is_escaped_on_both_pages(client: TestClient, site: Site) -> None:
    _add_evil_commitments(site)
    with site.db.sessions() as session:
        stored = session.scalars(select(PlanCommitment.sentence).where(PlanCommitment.document_id == site.evil_id)).all()
    assert any("<script>" in sentence for sentence in stored)  # the hostile text really is stored
    for path in (f"/documents/{site.evil_id}/commitments", "/commitments?region=广东省"):
        html = client.get(path).text
        assert "寄宿制学校" in html
        assert "<script>" not in html and "<img" not in html and "<b>3" not in html
        assert "&lt;script&gt;" in html
