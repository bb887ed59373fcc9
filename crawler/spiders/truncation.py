"""Is this page cut off? Two signals, the strong one from HTTP, a soft one from the HTML.

The strong signal is the transfer itself: a server that announced a Content-Length and hung
up early makes Scrapy fail the download with data loss (``DOWNLOAD_FAIL_ON_DATALOSS``);
:func:`is_data_loss` recognises that failure so the error says "truncated" in plain words.

The HTML heuristic only catches what HTTP cannot (a CMS that crashed mid-template and sent
an honest, short Content-Length). It must not reject real pages: plenty of portals never
write ``</html>`` and HTML5 lets ``</body>`` go too. So a page counts as cut off only when it
has neither ``</body>`` nor ``</html>`` AND its body container is opened but never closed,
or never appears at all (the page stops before its body); on hanweb, a body opened with the
``<$[信息内容]>begin`` marker and never ended says the same.
"""

from __future__ import annotations

import re
from typing import Sequence

from scrapy.exceptions import ResponseDataLossError
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_HTML_END = re.compile(r"</html\s*>", re.IGNORECASE)
_HANWEB_BEGIN = "<$[信息内容]>begin"
_HANWEB_END = "<$[信息内容]>end"


def is_data_loss(failure: Failure) -> bool:
    """The download failed because fewer bytes arrived than the server announced."""
    if failure.check(ResponseDataLossError):
        return True
    if not failure.check(ResponseFailed):
        return False
    reasons = getattr(failure.value, "reasons", None) or []
    return any("DataLoss" in type(getattr(r, "value", r)).__name__ for r in reasons)


def _opening_tag(selector: str) -> re.Pattern[str] | None:
    """A regex for the start tag a simple ``.class`` / ``#id`` / ``tag`` selector names."""
    if selector.startswith("."):
        name = re.escape(selector[1:])
        return re.compile(rf"""<([a-z][a-z0-9]*)\b[^>]*\bclass\s*=\s*["']?[^"'>]*?(?<![\w-]){name}(?![\w-])""", re.I)
    if selector.startswith("#"):
        name = re.escape(selector[1:])
        return re.compile(rf"""<([a-z][a-z0-9]*)\b[^>]*\bid\s*=\s*["']?{name}(?![\w-])""", re.I)
    if re.fullmatch(r"[a-z][a-z0-9]*", selector):
        return re.compile(rf"<({selector})\b", re.I)
    return None  # compound selectors: no opinion


def container_state(text: str, selectors: Sequence[str]) -> str:
    """``"closed"``, ``"open"`` (started, never ended) or ``"absent"`` for the first container found."""
    for selector in selectors:
        pattern = _opening_tag(selector)
        match = pattern.search(text) if pattern else None
        if not match:
            continue
        tag = match.group(1).lower()
        depth = 0
        for tag_match in re.finditer(rf"<(/?){tag}\b[^>]*>", text[match.start():], re.I):
            depth += -1 if tag_match.group(1) else 1
            if depth == 0:
                return "closed"
        return "open"
    return "absent"


def detail_truncation(text: str, selectors: Sequence[str]) -> str | None:
    """Why ``text`` looks cut off, or None for a page that may simply not close its tags."""
    if _BODY_END.search(text) or _HTML_END.search(text):
        return None
    begin = text.find(_HANWEB_BEGIN)
    if begin >= 0 and _HANWEB_END not in text[begin:]:
        return "detail page is truncated (信息内容 begin marker without its end, no </body>)"
    state = container_state(text, selectors)
    if state == "open":
        return "detail page is truncated (body container never closed, no </body>)"
    if state == "absent":
        return "detail page is truncated (ends before its body container, no </body>)"
    return None


def list_truncation(text: str) -> str | None:
    """A list page has no one body container: without end tags, only a page that stops mid-tag or mid-text."""
    if _BODY_END.search(text) or _HTML_END.search(text):
        return None
    if text.rstrip().endswith(">"):
        return None
    return "list page is truncated (stops mid-text, no </body> or </html>)"
