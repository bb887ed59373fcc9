"""One list page of a proposed portal, read as a test crawl: the documents it lists.

``portals add`` shows these right after writing the entry, so the operator sees at once that
the list URL and detail pattern find documents (the first full crawl comes with ``crawl``)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from crawler.detect.fetch import PoliteFetcher
from crawler.detect.links import anchors
from crawler.detect.propose import Proposal

DETAIL = {  # where a family's documents live (../shared/notes/platforms.md)
    "hanweb": r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$",
    "trs": r"/t\d{8}_\d+(_\d+)?\.s?html$",
    "govcn": r"/zhengce/content/",
}
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_SID = re.compile(r"SID\s*:\s*['\"]?(\d+)")
_LEAF = re.compile(r'"id"\s*:\s*(\d+)\s*,\s*"name"\s*:\s*"([^"]*)"\s*,\s*"parent"[^{}\[\]]*"children"\s*:\s*\[\]')


def first_list_page(proposal: Proposal, fetcher: PoliteFetcher, limit: int = 5) -> tuple[str, list[tuple[str, str]]]:
    """(the list URL read, (title, url) of its documents — at most ``limit``)."""
    if proposal.platform == "gkmlpt":
        return _gkmlpt(proposal.base_url, fetcher, limit)
    url = proposal.list_urls[0]
    page = fetcher.get(url)
    if page is None or page.status >= 400:
        return url, []
    pattern = re.compile(proposal.detail_pattern or DETAIL.get(proposal.platform or "", r"$^"))
    hidden = "<div>" + "".join(_CDATA.findall(page.text)) + "</div>"  # 大汉 hides its first page in CDATA
    found, seen = [], set()
    for link, text in anchors(page.text, page.url) + anchors(hidden, page.url):
        if pattern.search(urlsplit(link).path) and link not in seen:
            seen.add(link)
            found.append((text, link))
    return url, found[:limit]


def _gkmlpt(base: str, fetcher: PoliteFetcher, limit: int) -> tuple[str, list[tuple[str, str]]]:
    index = fetcher.get(base + "/gkmlpt/index")
    sid, leaf = (_SID.search(index.text), _LEAF.search(index.text)) if index else (None, None)
    if not (sid and leaf):
        return base + "/gkmlpt/index", []
    url = f"{base}/gkmlpt/api/all/{leaf.group(1)}?page=1&sid={sid.group(1)}"
    page = fetcher.get(url)
    try:
        articles = json.loads(page.text).get("articles", []) if page else []
    except ValueError:
        articles = []
    return url, [(a.get("title", ""), a.get("url", "")) for a in articles[:limit]]
