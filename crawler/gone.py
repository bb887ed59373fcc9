"""Is a probed page gone although it answered 200? Portals often redirect a deleted page to
their home page or to an error page instead of answering 404; a withdrawal probe must count
that as "gone" (two in a row, after a list walk that missed it, make a withdrawal)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.http import Response

# What an error page says in its title or heading: "404", "页面不存在", "找不到", "已删除", "出错".
_ERROR_PAGE = re.compile(r"404|410|页面不存在|页面未找到|找不到|已被删除|已删除|不存在或已|出错了|错误页", re.IGNORECASE)
_TITLE_OR_H1 = re.compile(r"<(title|h1)\b[^>]*>(.*?)</\1>", re.IGNORECASE | re.DOTALL)


def redirected_away(response: Response, base_url: str) -> bool:
    """A redirect that ended on the portal's home page or on an error page."""
    if not response.meta.get("redirect_urls"):
        return False
    path = urlsplit(response.url).path.rstrip("/")
    home = {"", "/index.html", "/index.htm", "/index.shtml", urlsplit(base_url).path.rstrip("/")}
    if path in home:
        return True
    try:
        text = response.text
    except AttributeError:
        return False
    heads = " ".join(match.group(2) for match in _TITLE_OR_H1.finditer(text[:20000]))
    return bool(_ERROR_PAGE.search(heads))
