"""From a URL an operator pastes to a proposed ``[[portals]]`` entry, with how sure and why.

The URL may be a column (recognised at once) or a home page: then the site's own links to its
政府信息公开 / 教育 / 政策文件 columns are followed (a few, politely) and the best-marked
family wins. Title, region and name are guessed from the page so the operator only confirms.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import lxml.html

from crawler.detect.fetch import Page, PoliteFetcher
from crawler.detect.fingerprints import Match, recognise
from crawler.detect.links import anchors, column_links
from eduwatch.config import CrawlConfig

MAX_COLUMNS = 4  # column links followed from a home page
_REGION = re.compile(r"^(?:[\u4e00-\u9fff]{1,8}?(?:省|自治区|市|自治州|州|盟|县|区|旗))+")
_TITLE_SPLIT = re.compile(r"\s*[-_|–—]\s*")


@dataclass
class Proposal:
    url: str
    name: str
    title: str
    region: str
    platform: str | None
    base_url: str
    list_urls: list[str]
    detail_pattern: str | None
    confidence: float
    evidence: list[str] = field(default_factory=list)

    @property
    def recognised(self) -> bool:
        return self.platform is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def portal_table(self) -> dict[str, Any]:
        """The ``[[portals]]`` keys, only those the platform uses."""
        table: dict[str, Any] = {"name": self.name, "title": self.title}
        if self.region:
            table["region"] = self.region
        table["platform"] = self.platform
        if self.platform == "gkmlpt":
            table["base_url"] = self.base_url
        else:
            table["list_urls"] = list(self.list_urls)
        if self.detail_pattern:
            table["detail_pattern"] = self.detail_pattern
        return table


def detect(url: str, crawl: CrawlConfig) -> Proposal:
    """Fetch ``url`` (and the columns it links to) and propose a portal entry."""
    fetcher = PoliteFetcher(crawl)
    try:
        return _detect(url, fetcher)
    finally:
        fetcher.close()


def _detect(url: str, fetcher: PoliteFetcher) -> Proposal:
    page = fetcher.get(url)
    if page is None or page.status >= 400:
        why = ("robots.txt does not allow fetching it" if fetcher.refused else
               f"the site answered HTTP {page.status}" if page else "the site could not be reached")
        return _unrecognised(url, "", [f"{url}: {why}"])
    title = site_title(page.text)
    match = recognise(page)
    evidence: list[str] = []
    if match is None or match.platform == "generic":
        followed, evidence = _follow_columns(page, fetcher)
        if followed is not None and (match is None or followed.confidence >= match.confidence):
            match = followed
    if match is None:
        return _unrecognised(url, title, evidence + [_what_it_saw(page, title)])
    return Proposal(url=url, name=guess_name(url), title=title or guess_name(url), region=guess_region(title),
                    platform=match.platform, base_url=match.base_url, list_urls=match.list_urls,
                    detail_pattern=match.detail_pattern, confidence=round(match.confidence, 2),
                    evidence=evidence + match.evidence)


def _follow_columns(page: Page, fetcher: PoliteFetcher) -> tuple[Match | None, list[str]]:
    """The best family among the page's column links, and which links were followed."""
    best: Match | None = None
    evidence = []
    for link, text in column_links(page.text, page.url)[:MAX_COLUMNS]:
        column = fetcher.get(link)
        found = recognise(column) if column is not None and column.status < 400 else None
        if found is None:
            continue
        found.evidence.insert(0, f"followed the home page's link “{text}” to {link}")
        if best is None or found.confidence > best.confidence:
            best = found
        if found.confidence >= 0.9:
            break
    if best is not None:
        evidence.append(f"{page.url} is a home page, not a list")
    return best, evidence


def _unrecognised(url: str, title: str, evidence: list[str]) -> Proposal:
    return Proposal(url=url, name=guess_name(url), title=title, region=guess_region(title), platform=None,
                    base_url="", list_urls=[], detail_pattern=None, confidence=0.0, evidence=evidence)


def _what_it_saw(page: Page, title: str) -> str:
    links = anchors(page.text, page.url)
    return (f"{page.url}: “{title or 'no title'}”, {len(links)} links, none of them to a column it knows or "
            "shaped like documents; no gkmlpt (/gkmlpt/index, _CONFIG), 大汉 (<datastore>, dataproxy.jsp), "
            "TRS (createPageHTML) or gov.cn (/zhengce/content/) marks")


def site_title(html: str) -> str:
    """The site's name: ``<meta name="SiteName">``, else the part of <title> naming a body."""
    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() == "sitename" and (meta.get("content") or "").strip():
            return meta.get("content").strip()
    title = (root.findtext(".//title") or "").strip()
    parts = [p for p in _TITLE_SPLIT.split(title) if p]
    named = [p for p in parts if re.search(r"政府|局|委员会|网$", p)]
    return (named or parts or [""])[-1]


def guess_region(title: str) -> str:
    """``惠来县人民政府`` → ``惠来县``; subscribers filter on a region's start, so a county alone
    still matches a filter on itself; the operator adds 省/市 with --region."""
    match = _REGION.match(title.replace("中华人民共和国", ""))
    return match.group() if match else ""


def guess_name(url: str) -> str:
    """A slug from the host: ``www.huilai.gov.cn`` → ``huilai``; an address → ``portal-<port>``."""
    parts = urlsplit(url)
    host = parts.hostname or "portal"
    if re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        return f"portal-{parts.port or 80}"
    labels = [label for label in host.split(".") if label not in ("www", "gov", "cn", "com", "org", "net", "edu")]
    return re.sub(r"[^a-z0-9_-]", "-", (labels[0] if labels else host).lower())
