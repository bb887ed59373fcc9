"""The document body as plain text lines, without page furniture.

Bodies are compared across crawls to detect revisions, so anything that changes on every
visit (view counters, share widgets) or differs between portals (breadcrumbs, print/close
buttons, 责任编辑 lines) is dropped, and inline markup must never lose or split glyphs.
"""

from __future__ import annotations

import functools
import re
from typing import Sequence

from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

from crawler.extract import HtmlTree, parse_html

DEFAULT_BODY_SELECTORS: tuple[str, ...] = (
    ".article-content",  # gkmlpt
    "#zoom",  # hanweb, TRS
    ".TRS_Editor",
    ".trs_editor_view",
    ".TRS_UEDITOR",
    "#UCAP-CONTENT",  # gov.cn
    ".pages_content",
    ".view",
    ".article_con",
    ".content_text",
    "#content",
    "article",
)
HANWEB_BEGIN = "<$[信息内容]>begin"
HANWEB_END = "<$[信息内容]>end"
MIN_BODY_CHARS = 4  # "详见附件" is a real (attachment-only) body

_BLOCK_TAGS = {
    "html", "body", "div", "p", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table", "tbody",
    "thead", "tfoot", "section", "article", "main", "aside", "h1", "h2", "h3", "h4", "h5", "h6", "br",
    "hr", "blockquote", "pre", "center", "caption", "figure", "figcaption", "address", "fieldset", "legend",
}
_SKIP_TAGS = {
    "script", "style", "noscript", "nav", "header", "footer", "head", "title", "select", "option",
    "textarea", "template", "iframe", "button", "object", "embed", "svg", "canvas", "input",
}
_SHARE_CLASS = re.compile(r"bdshare|share|fenxiang|jiathis", re.IGNORECASE)
# ASP.NET portals wrap the whole page in one <form>: only small forms (search boxes) are furniture
_SMALL_FORM_CHARS = 200


def _is_furniture(element: etree._Element) -> bool:
    tag = element.tag
    if tag in _SKIP_TAGS:
        return True
    if tag == "form":
        return len(_WHITESPACE.sub("", element.text_content())) < _SMALL_FORM_CHARS
    return bool(_SHARE_CLASS.search(element.get("class") or "") or _SHARE_CLASS.search(element.get("id") or ""))
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w")
# page furniture inside a line
_FURNITURE = re.compile(
    r"[【\[]\s*(?:打印(?:本页|此页)?|关闭(?:窗口|本页)?|字体\s*[:：]?\s*大\s*中\s*小|(?:加入)?收藏|返回顶部|顶部)\s*[】\]]"
    r"|(?:字体|字号)\s*[:：]\s*[【\[]?\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小\s*[】\]]?"
    r"|(?:浏览次数|访问量|阅读数|阅读次数|点击数|点击量|访问次数|浏览量)\s*[:：]?\s*[\d\-—]*\s*次?"
    r"|(?:打印本页|关闭窗口|打印页面)"
)
# whole lines that are furniture
_FURNITURE_LINE = re.compile(
    r"^(?:[【\[(（]?\s*责任编辑\s*[:：】\]].*"
    r"|(?:当前位置|您现在的位置|你现在的位置|您的位置|你的位置|所在位置)\s*[:：].*"
    r"|首页\s*[>»›/].*"
    r"|分享到\s*[:：]?.*"
    r"|扫一扫在手机(?:上)?打开当前页.*)$"
)


def _normalise_line(line: str) -> str:
    return _WHITESPACE.sub(" ", _FURNITURE.sub(" ", line)).strip()


def _clean_lines(raw_lines: list[str]) -> list[str]:
    lines = []
    for raw in raw_lines:
        line = _WHITESPACE.sub(" ", raw).strip()
        if not line or _FURNITURE_LINE.match(line):
            continue
        line = _normalise_line(line)
        if line:
            lines.append(line)
    return lines


class _LineWriter:
    """Collects text; block elements and <br> end a line, inline elements never do."""

    def __init__(self, hanweb_region: bool) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.hanweb_region = hanweb_region
        self.inside = not hanweb_region

    def add(self, text: str | None) -> None:
        if text and self.inside:
            self.current.append(text)

    def newline(self) -> None:
        if self.current:
            self.lines.append("".join(self.current))
            self.current = []

    def walk(self, element: etree._Element) -> None:
        tag = element.tag
        if not isinstance(tag, str):
            if self.hanweb_region and tag is etree.Comment:
                if HANWEB_BEGIN in (element.text or ""):
                    self.newline()
                    self.inside = True
                elif HANWEB_END in (element.text or ""):
                    self.newline()
                    self.inside = False
            self.add(element.tail)
            return
        if _is_furniture(element):
            self.add(element.tail)
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.newline()
        self.add(element.text)
        for child in element:
            self.walk(child)
        if block:
            self.newline()
        self.add(element.tail)

    def result(self) -> list[str]:
        self.newline()
        return _clean_lines(self.lines)


def _lines(element: etree._Element, hanweb_region: bool = False) -> list[str]:
    writer = _LineWriter(hanweb_region)
    writer.walk(element)
    return writer.result()


def _meaningful(lines: list[str]) -> int:
    return sum(len(_WORD.findall(line)) for line in lines)


_CONTAINERS = {"div", "td", "th", "section", "article", "main", "body", "blockquote", "dd", "center"}


def _densest_block(root: HtmlTree) -> etree._Element:
    """Fallback: the container whose own paragraphs carry the most text (paragraph density)."""
    scores: dict[etree._Element, int] = {}

    def score(element: etree._Element, container: etree._Element | None) -> None:
        if element.tag in _CONTAINERS:
            container = element
        size = len((element.text or "").strip())
        if size and container is not None:
            scores[container] = scores.get(container, 0) + size
        for child in element:
            if isinstance(child.tag, str) and not _is_furniture(child):
                score(child, container)
            tail = len((child.tail or "").strip())
            if tail and container is not None:
                scores[container] = scores.get(container, 0) + tail

    score(root, None)
    if not scores:
        body = root.find("body")
        return body if body is not None else root
    return max(scores, key=scores.__getitem__)


@functools.lru_cache(maxsize=256)
def _compiled(selector: str) -> CSSSelector | None:
    """``selector`` translated to XPath once per process (HtmlElement.cssselect did it per call,
    more work than walking the body it finds); None for a bad selector from a portal config."""
    try:
        return CSSSelector(selector, translator="html")
    except SelectorError:
        return None


def extract_body(html: str | HtmlTree, selectors: Sequence[str] = DEFAULT_BODY_SELECTORS) -> str:
    """Body text, one paragraph per line; "" for a page without text."""
    root = parse_html(html)
    if any(HANWEB_BEGIN in (c.text or "") for c in root.iter(etree.Comment)):
        lines = _lines(root, hanweb_region=True)
        if _meaningful(lines) >= MIN_BODY_CHARS:
            return "\n".join(lines)
    for selector in selectors:
        compiled = _compiled(selector)
        if compiled is None:  # a bad selector from a portal config must not lose the page
            continue
        for element in compiled(root):
            lines = _lines(element)
            if _meaningful(lines) >= MIN_BODY_CHARS:
                return "\n".join(lines)
    return "\n".join(_lines(_densest_block(root)))
