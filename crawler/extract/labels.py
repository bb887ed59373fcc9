"""One label-driven metadata extractor for every CMS family.

政府信息公开 pages print a label table (索引号, 文号, 成文日期 …) in many layouts: table cells,
``<li><span>label：</span><span>value</span></li>``, div/dl pairs, or inline text lines with
several pairs. Rather than one parser per family, the page is flattened into tokens (a table
cell is one token, other blocks give one token per line) and labels are matched on tokens.
The document body is skipped: bodies cite other documents' 文号 and dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from lxml import etree

from crawler.extract import HtmlTree, parse_html

# field -> printed label variants; longer variants first where one ends another
LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号",),  # 索引号
    "category": ("主题分类", "信息分类", "分类"),
    "publisher": ("发布机构", "发文机关", "发文单位", "所属机构"),
    "written_date": ("成文日期", "发文日期"),  # 成文日期
    "title": ("名称", "标题"),
    "doc_no": ("发文字号", "文号"),  # 文号
    "published_date": ("发布日期", "公开日期", "发布时间"),  # 发布日期
    "keywords": ("主题词", "关键词"),
    "validity": ("有效性",),  # 有效性
}
# containers that hold the document body, whose text must not be read as labels: an element
# with one of these ids or classes (the CSS selectors #zoom, .article-content, … of the CMS families)
BODY_CONTAINER_IDS = frozenset({"zoom", "UCAP-CONTENT"})
BODY_CONTAINER_CLASSES = frozenset({"article-content", "TRS_Editor", "trs_editor_view", "TRS_UEDITOR", "pages_content"})
HANWEB_BEGIN = "<$[信息内容]>begin"
HANWEB_END = "<$[信息内容]>end"

_PAD = r"[\s\u3000]*"
_LABEL_FIELD = {label: name for name, labels in LABELS.items() for label in labels}
_ALTERNATION = "|".join(
    _PAD.join(map(re.escape, label)) for label in sorted(_LABEL_FIELD, key=len, reverse=True)
)
_LABEL_TOKEN = re.compile(rf"^[\s\u3000]*(?P<label>{_ALTERNATION}){_PAD}(?P<colon>[:：∶︰]?){_PAD}(?P<rest>.*)$", re.DOTALL)
# a label inside a line: known ones, or any short run of Han characters ending in a colon
_INLINE_LABEL = re.compile(rf"(?:^|(?<=\s))(?P<label>{_ALTERNATION}|[\u4e00-\u9fff]{{2,6}}){_PAD}[:：∶︰]")
_LABEL_LIKE = re.compile(r"^[\s\u3000]*[\u4e00-\u9fff][\u4e00-\u9fff\s\u3000]{0,9}[:：∶︰][\s\u3000]*$")
_NOISE = re.compile(r"【|打印|关闭|字体|分享|收藏")
_WHITESPACE = re.compile(r"\s+")

_CELL_TAGS = {"td", "th", "dt", "dd"}
_BLOCK_TAGS = {
    "html", "body", "div", "p", "li", "ul", "ol", "dl", "tr", "table", "tbody", "thead", "tfoot",
    "section", "article", "main", "aside", "header", "footer", "nav", "h1", "h2", "h3", "h4", "h5",
    "h6", "br", "hr", "blockquote", "pre", "center", "caption", "figure", "figcaption", "address",
    "fieldset", "legend", "form",
}
_BLOCK_OR_CELL_TAGS = _BLOCK_TAGS | _CELL_TAGS
_SKIP_TAGS = {"script", "style", "noscript", "head", "select", "option", "textarea", "template", "iframe", "button"}


@dataclass
class PageMetadata:
    """Label values exactly as printed (trimmed); normalising is the caller's next step."""

    index_no: str | None = None  # 索引号
    category: str | None = None
    publisher: str | None = None
    written_date: str | None = None  # 成文日期
    title: str | None = None
    doc_no: str | None = None  # 文号
    published_date: str | None = None  # 发布日期
    keywords: str | None = None
    validity: str | None = None  # 有效性
    meta: dict[str, str] = field(default_factory=dict)


@dataclass
class _Token:
    text: str
    is_cell: bool
    block: etree._Element | None


def _clean(value: str | None) -> str | None:
    value = _WHITESPACE.sub(" ", value or "").strip()
    return value or None


def _has_hanweb_markers(root: HtmlTree) -> bool:
    return any(HANWEB_BEGIN in (c.text or "") for c in root.iter(etree.Comment))


def _is_body_container(element: etree._Element) -> bool:
    ident = element.get("id")
    if ident is not None and ident in BODY_CONTAINER_IDS:
        return True
    classes = element.get("class")
    return classes is not None and not BODY_CONTAINER_CLASSES.isdisjoint(classes.split())


def _cell_is_atomic(element: etree._Element) -> bool:
    """A cell holding a nested table (gov.cn wraps its label table in one) is walked, not read whole."""
    return next(element.iterdescendants("table", "tr", "td", "th", "dd"), None) is None


def _cell_text(element: etree._Element) -> str:
    """All text of a cell except scripts, styles and comments."""
    parts = [element.text or ""] if isinstance(element.tag, str) and element.tag not in _SKIP_TAGS else []
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _SKIP_TAGS:
            parts.append(_cell_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


class _Tokenizer:
    """Flattens a tree into label/value candidates, skipping the body and script.

    ``walk`` runs once per element of every detail page, the crawler's hottest Python code: the
    body-container test is two attribute reads per element (an XPath over the whole tree to
    find the containers first cost as much as the rest of the walk), and the common case — an
    inline or block element with text — is inlined rather than split into helper calls.
    """

    def __init__(self, hanweb: bool) -> None:
        self.skip_containers = not hanweb  # Hanweb marks its body with comments instead
        self.skipping_region = False
        self.hanweb = hanweb
        self.tokens: list[_Token] = []
        self.line: list[str] = []
        self.block: etree._Element | None = None

    def flush(self) -> None:
        text = "".join(self.line)
        self.line = []
        if text.strip():
            self.tokens.append(_Token(text, False, self.block))

    def add(self, text: str | None, block: etree._Element | None) -> None:
        if text and not self.skipping_region:
            if not self.line:
                self.block = block
            self.line.append(text)

    def comment(self, element: etree._Element, block: etree._Element) -> None:
        if self.hanweb and element.tag is etree.Comment:
            if HANWEB_BEGIN in (element.text or ""):
                self.flush()
                self.skipping_region = True
            elif HANWEB_END in (element.text or ""):
                self.skipping_region = False
        self.add(element.tail, block)

    def walk(self, element: etree._Element, block: etree._Element) -> None:
        tag = element.tag
        if tag.__class__ is not str:  # comment or processing instruction
            self.comment(element, block)
            return
        if tag in _SKIP_TAGS or (self.skip_containers and _is_body_container(element)):
            self.add(element.tail, block)
            return
        is_block = tag in _BLOCK_OR_CELL_TAGS
        if is_block and tag in _CELL_TAGS and _cell_is_atomic(element):
            self.flush()
            if not self.skipping_region:
                self.tokens.append(_Token(_cell_text(element), True, element))
            self.add(element.tail, block)
            return
        inner = element if is_block else block
        line = self.line
        if is_block and line:
            self.flush()
            line = self.line
        text = element.text
        if text and not self.skipping_region:
            if not line:
                self.block = inner
            line.append(text)
        for child in element:
            self.walk(child, inner)
        if is_block and self.line:
            self.flush()
        tail = element.tail
        if tail and not self.skipping_region:
            if not self.line:
                self.block = block
            self.line.append(tail)


def _tokens(root: HtmlTree) -> list[_Token]:
    tokenizer = _Tokenizer(_has_hanweb_markers(root))
    body = root.find("body")
    tokenizer.walk(body if body is not None else root, root)
    tokenizer.flush()
    return tokenizer.tokens


def _inline_pairs(text: str) -> Iterator[tuple[str, str]]:
    """``索引号: X 分类: Y`` → (索引号, X), (分类, Y); unknown labels are yielded too, then ignored."""
    matches = list(_INLINE_LABEL.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        yield _WHITESPACE.sub("", match.group("label")), text[match.end():end]


def _next_value(tokens: list[_Token], i: int) -> str | None:
    """The value token after a label token that has nothing after its colon, if it is one."""
    if i + 1 >= len(tokens):
        return None
    label, candidate = tokens[i], tokens[i + 1]
    if _LABEL_LIKE.match(candidate.text) or _LABEL_TOKEN.match(candidate.text) and (
        _LABEL_TOKEN.match(candidate.text).group("colon") or candidate.is_cell
    ):
        return None
    if label.is_cell:
        return candidate.text if candidate.is_cell else None
    if candidate.is_cell or _NOISE.search(candidate.text):
        return None
    same_parent = (
        label.block is not None
        and candidate.block is not None
        and label.block.getparent() is candidate.block.getparent()
    )
    return candidate.text if same_parent else None


def _read_labels(tokens: list[_Token]) -> dict[str, str]:
    found: dict[str, str] = {}

    def put(label: str, value: str | None) -> None:
        name = _LABEL_FIELD.get(_WHITESPACE.sub("", label))
        cleaned = _clean(value)
        if name and cleaned and name not in found:
            found[name] = cleaned

    for i, token in enumerate(tokens):
        match = _LABEL_TOKEN.match(token.text)
        if not match:
            continue
        label, rest = _WHITESPACE.sub("", match.group("label")), match.group("rest")
        if not match.group("colon") and not (token.is_cell and not rest.strip()):
            continue  # "标题党…" in running text is not a label
        if rest.strip():
            first_other = _INLINE_LABEL.search(rest)
            put(label, rest[: first_other.start()] if first_other else rest)
            for other, value in _inline_pairs(rest):
                put(other, value)
        else:
            put(label, _next_value(tokens, i))
    return found


def _meta(root: HtmlTree) -> dict[str, str]:
    values: dict[str, str] = {}
    for element in root.iter("meta"):
        name = (element.get("name") or "").strip()
        content = element.get("content")
        if name and content is not None and name not in values:
            values[name] = content.strip()
    return values


def _meta_value(meta: dict[str, str], *names: str) -> str | None:
    lowered = {key.lower(): value for key, value in meta.items()}
    for name in names:
        value = _clean(lowered.get(name.lower()))
        if value:
            return value
    return None


def extract_metadata(html: str | HtmlTree) -> PageMetadata:
    """Label values of a detail page, with the 政府网站 ``<meta>`` set as fallback."""
    root = parse_html(html)
    found = _read_labels(_tokens(root))
    meta = _meta(root)
    found.setdefault("title", _meta_value(meta, "ArticleTitle"))
    found.setdefault("published_date", _meta_value(meta, "PubDate", "firstpublishedtime"))
    found.setdefault("publisher", _meta_value(meta, "ContentSource"))
    return PageMetadata(**{k: v for k, v in found.items() if v is not None}, meta=meta)
