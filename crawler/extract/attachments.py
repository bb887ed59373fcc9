"""Attachment links on a detail page, and the text inside attachment files.

Many county notices are a two-line body ("详见附件") whose real content is a .docx or .pdf,
so attachments are found in every family's markup and their text is extracted for the
revision diff and the classifier.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urldefrag, urljoin, urlsplit

from crawler.decoding import decode_page
from crawler.extract import HtmlTree, parse_html

ATTACHMENT_TYPES = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "ofd", "zip", "rar", "7z", "txt")
_TYPE_SUFFIX = re.compile(r"\.(" + "|".join(ATTACHMENT_TYPES) + r")$", re.IGNORECASE)
# an attachment type anywhere in a link or its title, "." possibly percent-encoded: a link without
# one is a page (menus, breadcrumbs, related notices), skipped before the costly URL parsing
_MAYBE_FILE = re.compile(r"(?:\.|%2e)(?:" + "|".join(ATTACHMENT_TYPES) + r")", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_IGNORED_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:")


@dataclass(frozen=True)
class AttachmentLink:
    name: str
    url: str
    type: str  # lower-case extension without the dot: "pdf", "docx" …


class AttachmentError(Exception):
    """An attachment whose text cannot be read; the message says why (for the operator)."""


def _type_of(name: str) -> str | None:
    match = _TYPE_SUFFIX.search(name.strip())
    return match.group(1).lower() if match else None


_FILE_PARAMS = ("filename", "file", "fn", "name", "showname", "realname")
_DISPLAY_PARAMS = ("showname", "realname")


def _link_type(url: str, alt: str) -> tuple[str | None, str]:
    """(type, file name) from a ``filename=`` style parameter, the URL path, or the alt text."""
    parts = urlsplit(url)
    params = [(key.lower(), value) for key, value in parse_qsl(parts.query, keep_blank_values=True)]
    display = next((v for k, v in params if k in _DISPLAY_PARAMS and v.strip()), None)
    for key, value in params:  # hanweb: /module/download/downfile.jsp?classid=0&filename=xxx.pdf
        if key in _FILE_PARAMS and _type_of(value):
            return _type_of(value), display or posixpath.basename(value)
    path_name = posixpath.basename(unquote(parts.path))
    if _type_of(path_name):
        return _type_of(path_name), display or path_name
    for _, value in params:
        if _type_of(value):
            return _type_of(value), display or posixpath.basename(value)
    if alt and _type_of(alt):
        return _type_of(alt), alt
    return None, display or path_name


def find_attachments(html: str | HtmlTree, base_url: str) -> list[AttachmentLink]:
    """Attachment links in page order, absolute, de-duplicated by URL (fragment ignored)."""
    root = parse_html(html)
    base = root.find(".//base[@href]")
    if base is not None:
        base_url = urljoin(base_url, base.get("href", "").strip())
    found: dict[str, AttachmentLink] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(_IGNORED_SCHEMES):
            continue
        alt = (anchor.get("title") or anchor.get("alt") or "").strip()
        marked = "nfw-cms-attachment" in (anchor.get("class") or "")
        if not (marked or _MAYBE_FILE.search(href) or _MAYBE_FILE.search(alt)):
            continue
        url = urldefrag(urljoin(base_url, href))[0]
        if url in found:
            continue
        text = _WHITESPACE.sub(" ", anchor.text_content()).strip()
        kind, file_name = _link_type(url, alt)
        if kind is None and marked:
            kind = _type_of(text) or "bin"
        if kind is None:
            continue
        found[url] = AttachmentLink(name=text or alt or file_name, url=url, type=kind)
    return list(found.values())


def _docx_text(data: bytes) -> str:
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if not zipfile.is_zipfile(io.BytesIO(data)):
        hint = " (looks like a legacy .doc)" if data.startswith(b"\xd0\xcf\x11\xe0") else ""
        raise AttachmentError(f"not a valid .docx file{hint}")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many kinds for a broken package
        raise AttachmentError(f"not a valid .docx file: {error}") from error
    lines: list[str] = []

    def table_lines(table: Table) -> None:
        for row in table.rows:
            seen: set[int] = set()
            for cell in row.cells:
                if id(cell._tc) in seen:  # a merged cell is returned once per grid column
                    continue
                seen.add(id(cell._tc))
                for paragraph in cell.paragraphs:
                    lines.append(paragraph.text)
                for nested in cell.tables:
                    table_lines(nested)

    body = document.element.body
    for child in body.iterchildren():
        if child.tag.endswith("}p"):
            lines.append(Paragraph(child, document).text)
        elif child.tag.endswith("}tbl"):
            table_lines(Table(child, document))
    return "\n".join(line.strip() for line in lines if line.strip())


def _pdf_text(data: bytes) -> str:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise AttachmentError("encrypted PDF (needs a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except AttachmentError:
        raise
    except Exception as error:  # pypdf raises PdfReadError, KeyError, ValueError … on broken files
        if "encrypt" in str(error).lower() or "decrypt" in str(error).lower():
            raise AttachmentError(f"encrypted PDF: {error}") from error
        raise AttachmentError(f"not a valid .pdf file: {error}") from error
    return "\n".join(page.strip() for page in pages if page.strip())


def attachment_text(data: bytes, type: str) -> str:
    """Text of a .docx, .pdf or .txt attachment; AttachmentError for anything else or a broken file."""
    kind = (type or "").lower().lstrip(".")
    if not data:
        raise AttachmentError(f"empty .{kind} file")
    if kind == "docx":
        return _docx_text(data)
    if kind == "pdf":
        if b"%PDF-" not in data[:1024]:  # readers allow junk before the header
            raise AttachmentError("not a valid .pdf file (no %PDF header)")
        return _pdf_text(data)
    if kind == "txt":
        return decode_page(data).text
    raise AttachmentError(f"no text extraction for .{kind}")


_POINTER = re.compile(
    # the lookahead lists every first character a match can have, so the engine skips other
    # positions at once (6x faster sub over a long body; same matches)
    r"(?=[请具详见附相点文下])(?:"
    r"(?:请|具体|详细)?(?:详|请)?见附件\s*[0-9一二三四五六七八九十]*"
    r"|附件(?:\s*[0-9一二三四五六七八九十]+)?\s*[:：]"
    r"|(?:相关)?附件(?:下载|列表)?"
    r"|(?:点击|文件)下载|下载附件"
    r")"
)
_FILE_NAME = re.compile(r"[^\n]*?\.(?:" + "|".join(ATTACHMENT_TYPES) + r")\b", re.IGNORECASE)
_EXTENSION = re.compile(r"\.(?:" + "|".join(ATTACHMENT_TYPES) + r")\b", re.IGNORECASE)
_POINTER_WORDS = ("附件", "下载")  # every _POINTER alternative contains one of them
_MEANINGFUL = re.compile(r"[\w]+", re.UNICODE)  # runs, not single characters: far fewer objects
ATTACHMENT_ONLY_MAX_CHARS = 60


def _strip_file_names(text: str) -> str:
    """``_FILE_NAME.sub(" ", text)`` in linear time.

    The regex retries its lazy line prefix from every position of a line after its last file
    name (quadratic: 18 ms on an 11k-char body); a match always runs from the later of the
    previous match's end and the line start up to the next extension, which this walks directly.
    """
    pieces: list[str] = []
    position = 0
    for match in _EXTENSION.finditer(text):
        start = max(position, text.rfind("\n", 0, match.start()) + 1)
        pieces += (text[position:start], " ")
        position = match.end()
    pieces.append(text[position:])
    return "".join(pieces)


def is_attachment_only(body: str) -> bool:
    """True when the body is only a pointer to attachments ("详见附件", a file name) plus little else.

    A body without a pointer word or a file extension is answered before any regex runs over it:
    _FILE_NAME's lazy line prefix made that scan quadratic per line (~10 ms on an 11k-char body),
    for the common case of an ordinary text body.
    """
    text = body or ""
    if not text.strip():
        return True
    has_pointer = bool(
        (any(word in text for word in _POINTER_WORDS) and _POINTER.search(text)) or _EXTENSION.search(text)
    )  # _EXTENSION matches exactly where _FILE_NAME does (its line prefix may be empty)
    if not has_pointer:
        return False
    rest = _POINTER.sub(" ", _strip_file_names(text))
    meaningful = sum(map(len, _MEANINGFUL.findall(rest)))
    return meaningful < ATTACHMENT_ONLY_MAX_CHARS
