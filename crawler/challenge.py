"""Recognise anti-bot challenge pages (瑞数, 加速乐, 安全狗/wzws) so a portal is marked blocked.

eduwatch never tries to solve a challenge: it reports a readable reason and backs off. A page
that passed the challenge still carries 瑞数 residue (a ``r='m'`` loader, a ``{qqqq…`` token
meta), so the markers only count when the page has no real content of its own.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any, Mapping

from crawler.decoding import decode_page

# real content: a document's title meta, or a body of visible text
_MIN_VISIBLE_TEXT = 200
_MIN_VISIBLE_TEXT_WITH_TITLE = 40
_TINY_PAGE_BYTES = 8192

_RUISHU_TS = re.compile(r"\$_ts\s*(?:=|\.)")
_RUISHU_LOADER = re.compile(r"<script\b[^>]*\br\s*=\s*[\"']?m\b", re.IGNORECASE)
_RUISHU_META = re.compile(r"<meta\b[^>]*\bcontent\s*=\s*[\"']\{q{4,}", re.IGNORECASE)
_ARTICLE_TITLE = re.compile(r"<meta\b[^>]*\bname\s*=\s*[\"']?ArticleTitle[\"']?[^>]*\bcontent\s*=\s*[\"']\s*[^\"'\s]", re.IGNORECASE)
_INVISIBLE = re.compile(r"<(script|style|noscript|head|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# what 加速乐, wzws and 安全狗 leave in a page's lower-cased text (cookies and headers checked apart);
# plain substring tests: an IGNORECASE regex alternation took ~8x as long on a Chinese page
_GATE_TRACES = ("__jsl_clearance", "wzws_cid", "wzwschallenge", "safedog", "网站防火墙")


def _header(headers: Mapping[str, Any], name: str) -> str:
    """All values of one header, case-insensitively; accepts str, bytes or lists (Scrapy headers)."""
    found: list[str] = []
    for key, value in (headers or {}).items():
        key = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key.lower() != name:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        found.extend(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values)
    return "\n".join(found)


def visible_text_length(text: str) -> int:
    """Characters a reader would see: no head, scripts, styles, comments, tags or whitespace."""
    visible = _TAG.sub(" ", _INVISIBLE.sub(" ", _COMMENT.sub(" ", text)))
    return len(_SPACE.sub("", html_lib.unescape(visible)))


def has_real_content(text: str) -> bool:
    """True for a document page: substantial visible text, or a title meta plus some text."""
    visible = visible_text_length(text)
    if visible >= _MIN_VISIBLE_TEXT:
        return True
    return bool(_ARTICLE_TITLE.search(text)) and visible >= _MIN_VISIBLE_TEXT_WITH_TITLE


def _ruishu_markers(text: str) -> list[str]:
    markers = []
    if _RUISHU_TS.search(text):
        markers.append("$_ts bootstrap")
    if _RUISHU_LOADER.search(text):
        markers.append("r='m' loader script")
    if _RUISHU_META.search(text):
        markers.append("{qqqq… token meta")
    return markers


def detect_challenge(status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """A reason for the operator when this response is an anti-bot challenge, else None."""
    if isinstance(body, str):  # already decoded by the caller
        text, body = body, body.encode("utf-8")
    else:
        body = body or b""
        text = decode_page(body, _header(headers, "content-type") or None).text
    markers = _ruishu_markers(text)
    if status == 412:
        found = f" ({', '.join(markers)})" if markers else ""
        return f"瑞数 (Rivers Security) anti-bot challenge: HTTP 412{found}"
    suspected = _suspected_challenge(status, headers, text, len(body), markers)
    # A page that passed a challenge still carries its residue; real content clears it. Only
    # suspects pay for the visible-text count, the dearest step, so ordinary pages skip it.
    if suspected is None or has_real_content(text):
        return None
    return suspected


def _suspected_challenge(status: int, headers: Mapping[str, str], text: str, size: int,
                         markers: list[str]) -> str | None:
    """The challenge this response would be if it had no real content."""
    if markers:
        return f"瑞数 (Rivers Security) anti-bot challenge: HTTP {status} page without content, {', '.join(markers)}"
    cookies = _header(headers, "set-cookie").lower()
    server = _header(headers, "server").lower()
    lowered = text.lower()
    if not ("__jsluid" in cookies or "wzws_cid" in cookies or "safedog" in server or status == 521
            or any(trace in lowered for trace in _GATE_TRACES)):
        return None  # no gate left a trace: the usual page
    if "__jsluid" in cookies or "__jsl_clearance" in text or status == 521:
        if "<script" in lowered and size <= _TINY_PAGE_BYTES:
            return f"加速乐 (Jiasule) anti-bot challenge: HTTP {status}, __jsluid cookie and a tiny JavaScript page"
    if "wzws_cid" in cookies or "wzws_cid" in text or "wzwschallenge" in lowered:
        return f"安全狗/wzws anti-bot challenge: HTTP {status}, wzws_cid cookie and no content"
    if "safedog" in server or "safedog" in lowered or "网站防火墙" in text:
        return f"安全狗 (SafeDog) web firewall page: HTTP {status}, no content"
    return None
