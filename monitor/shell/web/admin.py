"""Actions that change something: retry an alert, ask for a recrawl. They need the admin token.

A browser signs in once with the token (``[web] admin_token_env`` names the variable holding
it) and gets a cookie that is HttpOnly and SameSite=Strict; each form also carries a CSRF value
derived from the token, and a POST from another origin is refused, so another site cannot make
a signed-in browser act. Scripts send ``Authorization: Bearer <token>`` instead (no cookie, so
nothing a cross-site request could borrow). Without a configured token the web view only reads.
"""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from alerts import outbox
from monitor.changes.classification import label_document
from monitor.shell.cli.alerts import alert_view
from monitor.shell.web.deps import config, database, render
from storage.models import Alert, Document, Event, utcnow

router = APIRouter(prefix="/admin", include_in_schema=False)
COOKIE = "eduwatch_admin"
LISTED_ALERTS = 50


def _token(request: Request) -> str | None:
    return config(request).web.admin_token()


def _sign(token: str, purpose: str) -> str:
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def signed_in(request: Request) -> bool:
    token = _token(request)
    return bool(token) and _same(request.cookies.get(COOKIE), _sign(token or "", "session"))


def csrf_value(request: Request) -> str:
    token = _token(request)
    return _sign(token, "csrf") if token else ""


def _own_origins(request: Request) -> set[str]:
    origins = {f"{request.url.scheme}://{request.url.netloc}"}
    public = config(request).web.public_url
    if public:
        parts = urlsplit(public)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def require_admin(request: Request, csrf: str | None) -> None:
    """Refuse (403) unless the request carries the token, or a signed-in cookie with the CSRF value
    from a page of this site."""
    token = _token(request)
    if not token:
        raise HTTPException(403, "未配置管理令牌 ([web] admin_token_env): the web view is read-only")
    bearer = request.headers.get("authorization", "")
    if bearer.startswith("Bearer ") and _same(bearer[7:], token):
        return
    origin = request.headers.get("origin")
    if origin and origin not in _own_origins(request):
        raise HTTPException(403, "跨站请求被拒绝 (cross-site request refused)")
    if not (signed_in(request) and _same(csrf, _sign(token, "csrf"))):
        raise HTTPException(403, "需要管理令牌 (sign in with the admin token first)")


@router.get("", response_class=HTMLResponse)
def admin_page(request: Request, done: str = "") -> HTMLResponse:
    alerts = []
    if signed_in(request):
        with database(request).sessions() as session:
            rows = session.scalars(
                select(Alert).options(selectinload(Alert.event).selectinload(Event.document), selectinload(Alert.subscriber))
                .where(Alert.status.in_(("failed", "dead"))).order_by(Alert.id.desc()).limit(LISTED_ALERTS)
            )
            alerts = [alert_view(alert) for alert in rows]
    return render(request, "admin.html", configured=bool(_token(request)), signed_in=signed_in(request),
                  csrf=csrf_value(request), alerts=alerts, portals=config(request).portals, done=done,
                  recrawls=request.app.state.recrawls)


@router.post("/login")
def login(request: Request, token: str = Form("")) -> Response:
    expected = _token(request)
    if not expected or not _same(token, expected):
        raise HTTPException(403, "管理令牌不对 (wrong admin token)")
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(COOKIE, _sign(expected, "session"), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    require_admin(request, csrf)
    response = RedirectResponse("/admin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/alerts/{alert_id}/retry")
def retry_alert(request: Request, alert_id: int, csrf: str = Form("")) -> Response:
    require_admin(request, csrf)
    with database(request).transaction() as session:
        if session.get(Alert, alert_id) is None:
            raise HTTPException(404, f"没有编号为 {alert_id} 的提醒")
        count = outbox.retry(session, [alert_id])
    done = f"提醒 {alert_id} 已重新排队" if count else f"提醒 {alert_id} 不是失败状态，未改动"
    return RedirectResponse(f"/admin?done={done}", status_code=303)


@router.post("/recrawl")
def recrawl(request: Request, csrf: str = Form(""), portal: str = Form(""), document: str = Form("")) -> Response:
    """Start ``eduwatch recrawl`` in the background: the same leases as the daemon and the CLI
    (a portal being crawled is left to that crawl), its output in the web server's log."""
    require_admin(request, csrf)
    if document.strip():
        if not document.strip().isdigit():
            raise HTTPException(422, "文件编号应为数字")
        with database(request).sessions() as session:
            if session.get(Document, int(document)) is None:
                raise HTTPException(404, f"没有编号为 {document} 的文件")
        target = ["--document", document.strip()]
    elif portal in {p.name for p in config(request).portals}:
        target = ["--portal", portal]
    else:
        raise HTTPException(422, "请选择一个门户或填写文件编号")
    config_path = request.app.state.config_path
    command = [sys.executable, "-c", "import sys; from monitor.shell.cli import main; sys.exit(main())",
               *(["--config", config_path] if config_path else []), "recrawl", *target, "--no-wait"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    recrawls = request.app.state.recrawls
    recrawls.insert(0, {"target": " ".join(target), "pid": process.pid, "at": utcnow()})
    del recrawls[20:]
    return RedirectResponse(f"/admin?done=已开始重新抓取 {' '.join(target)}（进程 {process.pid}）", status_code=303)


@router.post("/documents/{document_id}/label")
def label(request: Request, document_id: int, csrf: str = Form(""), verdict: str = Form(""),
          note: str = Form("")) -> Response:
    """A person's verdict on a document, as ``eduwatch label`` records it (it overrides the
    classifier from then on; a document that becomes a plan raises ``new_plan`` once)."""
    require_admin(request, csrf)
    if verdict not in ("plan", "not-plan"):
        raise HTTPException(422, "请选择“是规划”或“不是规划”")
    try:
        label_document(database(request), document_id, is_plan=verdict == "plan", by="web admin",
                       note=note.strip()[:500] or None)
    except LookupError:
        raise HTTPException(404, f"没有编号为 {document_id} 的文件") from None
    return RedirectResponse(f"/documents/{document_id}", status_code=303)
