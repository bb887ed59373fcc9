"""The JSON API (same fields as the CLI's --json), the Atom feeds and their tokens, and the admin
actions' token and CSRF checks, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.changes.events import list_events
from monitor.shell.cli.crawl import portal_view
from monitor.shell.cli.table import json_text
from storage import feed_tokens
from storage.documents import DocumentQuery, get_document, list_documents
from storage.models import Alert, Subscriber
from storage.runs import Runs
from tests.monitor.shell.web.site import ADMIN_TOKEN, PLAN_TITLE, Site

ATOM = "{http://www.w3.org/2005/Atom}"


def _cli_json(data: object) -> object:
    import json

    return json.loads(json_text(data))


def test_api_documents_are_the_cli_views(client: TestClient, site: Site) -> None:
    with site.db.sessions() as session:
        expected = list_documents(session, DocumentQuery(limit=5, offset=5))
        one = get_document(session, site.plan_id)
    assert client.get("/api/documents", params={"limit": 5, "offset": 5}).json() == _cli_json(expected)
    assert client.get(f"/api/documents/{site.plan_id}").json() == _cli_json(one)
    assert [d["id"] for d in client.get("/api/documents", params={"portal": "huantai"}).json()] == [site.plan_id]
    assert client.get("/api/documents/999999").status_code == 404
    assert client.get("/api/documents/999999/revisions").status_code == 404
    first_seen = client.get(f"/api/documents/{site.plan_id}").json()["first_seen"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first_seen)  # ISO UTC with Z, as the CLI


def test_api_revisions_events_portals_search(client: TestClient, site: Site) -> None:
    revisions = client.get(f"/api/documents/{site.plan_id}/revisions").json()
    assert [r["number"] for r in revisions] == [1, 2] and revisions[0]["created_at"].endswith("Z")
    events = client.get("/api/events", params={"kind": "revised"}).json()
    assert events == _cli_json([e.to_dict() for e in list_events(site.db, kind="revised")])
    assert client.get("/api/events", params={"kind": "nonsense"}).status_code == 422
    assert client.get("/api/events", params={"limit": 3}).json() == _cli_json(
        [e.to_dict() for e in list_events(site.db, limit=3)])
    latest = Runs(site.db).latest()
    assert client.get("/api/portals").json() == _cli_json([portal_view(p, latest.get(p.name)) for p in site.config.portals])
    found = client.get("/api/search", params={"q": "乡村教育"}).json()
    assert found["total"] == 1 and found["hits"][0]["document_id"] == site.plan_id
    assert found["hits"][0]["is_rural_plan"] is True
    start, end = found["hits"][0]["highlights"][0]
    assert found["hits"][0]["snippet"][start:end] == "乡村教育"


def test_openapi_lists_every_api_route(client: TestClient, site: Site) -> None:
    paths = set(client.get("/api/openapi.json").json()["paths"])
    assert paths == {"/api/documents", "/api/documents/{document_id}", "/api/documents/{document_id}/revisions",
                     "/api/events", "/api/search", "/api/portals"}


def test_no_secret_in_pages_or_api(client: TestClient, site: Site) -> None:
    seen = "".join(client.get(path).text for path in (
        "/", "/documents", f"/documents/{site.plan_id}", "/events", "/portals", "/admin", "/api/documents",
        "/api/portals", "/api/events", "/feeds/plans.atom",
        f"/feeds/subscribers/%E6%8F%AD%E9%98%B3%E8%A7%84%E5%88%92%E7%A7%91.atom?token={site.feed_token}"))
    for secret in (ADMIN_TOKEN, site.feed_token, site.other_token, "guihua@example.org"):
        assert secret not in seen


def test_plans_feed(client: TestClient, site: Site) -> None:
    response = client.get("/feeds/plans.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert titles == [f"[修订 · 乡村教育规划] {PLAN_TITLE}", f"[新发布 · 乡村教育规划] {PLAN_TITLE}"]
    links = [e.find(f"{ATOM}link").get("href") for e in feed.iter(f"{ATOM}entry")]
    assert links[0].endswith(f"/documents/{site.plan_id}/diff")


def test_subscriber_feed_needs_its_own_live_token(client: TestClient, site: Site) -> None:
    url = "/feeds/subscribers/揭阳规划科.atom"
    assert client.get(url).status_code == 404
    assert client.get(url, params={"token": "wrong"}).status_code == 404
    assert client.get(url, params={"token": site.other_token}).status_code == 404  # another subscriber's
    feed = ET.fromstring(client.get(url, params={"token": site.feed_token}).content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert titles == [f"[修订 · 乡村教育规划] {PLAN_TITLE}", f"[新发布 · 乡村教育规划] {PLAN_TITLE}"]  # its filters
    other = ET.fromstring(client.get("/feeds/subscribers/other.atom", params={"token": site.other_token}).content)
    assert len(list(other.iter(f"{ATOM}entry"))) == 27  # any_new, any region: every new document
    with site.db.transaction() as session:
        feed_tokens.revoke(session, session.scalar(select(Subscriber).where(Subscriber.name == "揭阳规划科")))
    assert client.get(url, params={"token": site.feed_token}).status_code == 404


def _sign_in(client: TestClient) -> str:
    assert client.post("/admin/login", data={"token": "wrong"}).status_code == 403
    response = client.post("/admin/login", data={"token": ADMIN_TOKEN}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    return re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/admin").text).group(1)


def _failed_alert(site: Site) -> int:
    with site.db.transaction() as session:
        alert = session.scalars(select(Alert)).first()
        alert.status, alert.last_error = "dead", "550 mailbox unavailable"
        return alert.id


def test_retry_needs_token_and_csrf(client: TestClient, site: Site) -> None:
    alert_id = _failed_alert(site)
    assert client.post(f"/admin/alerts/{alert_id}/retry").status_code == 403  # not signed in
    csrf = _sign_in(client)
    assert "550 mailbox unavailable" in client.get("/admin").text
    assert client.post(f"/admin/alerts/{alert_id}/retry", data={"csrf": "forged"}).status_code == 403
    cross_site = client.post(f"/admin/alerts/{alert_id}/retry", data={"csrf": csrf},
                             headers={"Origin": "http://evil.example"})
    assert cross_site.status_code == 403
    done = client.post(f"/admin/alerts/{alert_id}/retry", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    with site.db.sessions() as session:
        assert session.get(Alert, alert_id).status == "pending"


def test_bearer_token_for_scripts_and_recrawl(client: TestClient, site: Site) -> None:
    alert_id = _failed_alert(site)
    fresh = TestClient(client.app, base_url="http://127.0.0.1:8080")
    assert fresh.post(f"/admin/alerts/{alert_id}/retry", headers={"Authorization": "Bearer nope"}).status_code == 403
    ok = fresh.post(f"/admin/alerts/{alert_id}/retry", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                    follow_redirects=False)
    assert ok.status_code == 303
    assert fresh.post("/admin/recrawl", data={"portal": "nowhere"},
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 422
    assert fresh.post("/admin/recrawl", data={"document": "999999"},
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 404
    assert client.post("/admin/recrawl", data={"portal": "huantai"}).status_code == 403
    csrf = _sign_in(client)
    started = client.post("/admin/recrawl", data={"csrf": csrf, "document": str(site.plan_id)}, follow_redirects=False)
    assert started.status_code == 303
    assert f"--document {site.plan_id}" in client.get("/admin").text
    import os
    import signal

    for entry in client.app.state.recrawls:  # the recrawl would only meet a closed port; stop it
        try:
            os.killpg(entry["pid"], signal.SIGTERM)
        except ProcessLookupError:
            pass


def test_labelling_a_document_needs_token_and_csrf_and_overrides_the_classifier(client: TestClient, site: Site) -> None:
    from storage.models import Document, DocumentLabel

    url = f"/admin/documents/{site.evil_id}/label"
    assert 'name="verdict"' not in client.get(f"/documents/{site.evil_id}").text  # no form for visitors
    assert client.post(url, data={"verdict": "plan"}).status_code == 403  # not signed in
    csrf = _sign_in(client)
    assert client.post(url, data={"csrf": "forged", "verdict": "plan"}).status_code == 403
    assert client.post(url, data={"csrf": csrf, "verdict": "plan"},
                       headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.post(url, data={"csrf": csrf, "verdict": "maybe"}).status_code == 422
    assert client.post("/admin/documents/999999/label", data={"csrf": csrf, "verdict": "plan"}).status_code == 404
    assert 'name="verdict"' in client.get(f"/documents/{site.evil_id}").text
    done = client.post(url, data={"csrf": csrf, "verdict": "plan", "note": "<b>规划</b>"}, follow_redirects=False)
    assert done.status_code == 303
    with site.db.sessions() as session:
        label = session.scalars(select(DocumentLabel).where(DocumentLabel.document_id == site.evil_id)).one()
        assert (label.is_plan, label.labelled_by, label.note) == (True, "web admin", "<b>规划</b>")
        assert session.get(Document, site.evil_id).is_rural_plan is True
