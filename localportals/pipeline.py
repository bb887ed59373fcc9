"""Request/response values and the per-site pipeline: faults, family routing, encoding, 304s.

Kept apart from the socket servers so one pipeline serves both :class:`PortalServer` (one site,
one port) and :class:`MultiSiteServer` (many sites, one thread pool).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from localportals.faults import CHALLENGE_COOKIE, WAF_COOKIE, challenge_page
from localportals.model import RequestRecord, Site

_END_TAGS = re.compile(r"\s*</body>\s*</html>\s*$", re.IGNORECASE)
LOGGED_HEADERS = ("If-None-Match", "If-Modified-Since", "User-Agent", "Cookie", "Host", "Content-Type")


@dataclass
class Request:
    method: str
    target: str  # path?query as received
    headers: dict[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def params(self) -> dict[str, str]:
        """Query string and (for form POSTs) body parameters, first value wins; query first."""
        values: dict[str, str] = {}
        for source in (urlsplit(self.target).query, self.body.decode("utf-8", "replace")):
            for key, items in parse_qs(source, keep_blank_values=True).items():
                values.setdefault(key, items[0])
        return values


@dataclass
class Response:
    status: int = 200
    body: str | bytes = ""
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)
    cacheable: bool = False  # list/detail pages: ETag + Last-Modified when the site enables it
    last_modified: dt.datetime | None = None
    truncatable: bool = False  # a detail page the truncated fault may cut
    doc_id: int | None = None  # the document a detail page shows (for id-keyed faults)


def not_found() -> Response:
    return Response(404, "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>"
                         "<p>您访问的页面不存在或已被删除。</p></body></html>")


def handle(site: Site, request: Request) -> tuple[int, dict[str, str], bytes]:
    """Answer one request for ``site`` and record it in the site's log."""
    with site.lock:
        status, headers, body = _answer(site, request)
        logged = {k: request.headers[k] for k in LOGGED_HEADERS if k in request.headers}
        site.log.append(RequestRecord(request.method, request.target, logged, status))
    return status, headers, body


def _answer(site: Site, request: Request) -> tuple[int, dict[str, str], bytes]:
    path = request.path
    faults = site.faults
    hits = site.path_hits[path] = site.path_hits.get(path, 0) + 1
    if faults.challenged(path):
        headers = {"Content-Type": "text/html; charset=utf-8",
                   "Set-Cookie": f"{CHALLENGE_COOKIE}O=5f2aR3pYq1OLx0dBXH7vGkw1L0e; Path=/; HttpOnly",
                   "Server": "******"}
        return faults.challenge_status, headers, challenge_page().encode("utf-8")
    if faults.cookie_redirect and (
        faults.cookie_redirect == "loop"
        or (faults.cookie_redirect == "per_path" and hits == 1)
        or f"{WAF_COOKIE}=" not in request.headers.get("Cookie", "")
    ):
        return 302, {"Location": site.base_url_root + request.target, "Content-Type": "text/html",
                     "Set-Cookie": f"{WAF_COOKIE}=7f3a{hits:04d}c1e2; Path=/; HttpOnly"}, b""
    if path in faults.flaky and hits <= faults.flaky[path]:
        return 503, {"Content-Type": "text/html"}, b"<html><body><h1>503 Service Unavailable</h1></body></html>"
    if path == "/robots.txt":
        return 200, {"Content-Type": "text/plain"}, _robots(site).encode("ascii")
    try:
        response = site.family.route(site, request) or home_route(site, request) or not_found()
    except Exception as exc:  # a broken imitation must show up as a 500, not kill the server thread
        response = Response(500, f"<html><body><h1>500</h1><pre>{type(exc).__name__}: {exc}</pre></body></html>")
    if response.truncatable and (path in faults.error_500 or response.doc_id in faults.error_500):
        response = Response(500, "<html><head><title>500 Internal Server Error</title></head>"
                                 "<body><h1>500 Internal Server Error</h1></body></html>")
    if site.options.get("omit_end_tags") and isinstance(response.body, str) and response.content_type == "text/html":
        # Real portals that never write </body></html>: the page is whole, only the end tags are missing.
        response.body = _END_TAGS.sub("\n", response.body)
    body = _encode(site, response)
    headers = {"Content-Type": _content_type(site, response)}
    headers.update(response.headers)
    if path in faults.truncated or (response.truncatable and response.doc_id in faults.truncated):
        if faults.truncation == "dataloss":
            headers["Content-Length"] = str(len(body))  # the server promises it all, then hangs up
        body = body[: len(body) // 2]
    if site.conditional and response.cacheable and response.status == 200:
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        modified = (response.last_modified or site.modified).replace(microsecond=0)
        headers["ETag"] = etag
        headers["Last-Modified"] = email.utils.format_datetime(modified.astimezone(dt.timezone.utc), usegmt=True)
        if _not_modified(request, etag, modified):
            return 304, {"ETag": etag, "Last-Modified": headers["Last-Modified"]}, b""
    return response.status, headers, body


def _not_modified(request: Request, etag: str, modified: dt.datetime) -> bool:
    """RFC 9110: If-None-Match wins when present; otherwise If-Modified-Since."""
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        return etag in [tag.strip() for tag in inm.split(",")] or inm.strip() == "*"
    ims = request.headers.get("If-Modified-Since")
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.timezone.utc)
        return modified <= since
    return False


def _robots(site: Site) -> str:
    lines = ["User-agent: *"] + [f"Disallow: {p}" for p in site.robots_disallow]
    if not site.robots_disallow:
        lines.append("Disallow:")
    return "\n".join(lines) + "\n"


def _encode(site: Site, response: Response) -> bytes:
    if isinstance(response.body, bytes):
        return response.body
    if response.content_type.startswith("application/json"):
        return response.body.encode("utf-8")
    if site.encoding in ("gbk", "gb2312", "gb18030"):
        return response.body.encode("gbk", errors="xmlcharrefreplace")
    return response.body.encode("utf-8")


def _content_type(site: Site, response: Response) -> str:
    ctype = response.content_type
    if isinstance(response.body, bytes) or ctype.startswith("application/json"):
        return ctype + ("; charset=utf-8" if ctype.startswith("application/json") else "")
    if site.encoding in ("gbk", "gb2312", "gb18030"):
        return f"{ctype}; charset=GBK" if site.charset_in_header else ctype
    return f"{ctype}; charset=UTF-8" if site.charset_in_header else ctype


def home_route(site: Site, request: Request) -> Response | None:
    """The site's home page (:mod:`localportals.home`, which builds on this module's values)."""
    from localportals import home

    return home.route(site, request)
