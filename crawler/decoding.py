"""Bytes to text for Chinese portals: header charset, BOM, <meta>, detection, then UTF-8.

Many county sites still serve GB2312/GBK. GB2312 and GBK are subsets of GB18030, and real
"gb2312" pages use GBK-only characters, so all of them are decoded as GB18030. A declared
charset that cannot decode the bytes is skipped rather than trusted into mojibake.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

_SNIFF_BYTES = 4096
_CHINESE_ALIASES = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312", "gb_2312-80", "csgb2312", "euc-cn", "ms936", "windows-936", "hz-gb-2312"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SERVER_DEFAULTS = {"iso8859-1", "cp1252", "ascii"}
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([\w.:-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class DecodedPage:
    text: str
    encoding: str  # Python codec name actually used, e.g. "utf-8", "gb18030"


def canonical_encoding(name: str | None) -> str | None:
    """Python codec name for a declared charset, GB2312/GBK widened to GB18030; None if unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if label in _CHINESE_ALIASES or label.replace("_", "-") in _CHINESE_ALIASES:
        return "gb18030"
    if label in {"utf8", "unicode-1-1-utf-8"}:
        label = "utf-8"
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        return None
    return "gb18030" if codec in {"gb2312", "gbk", "cp936"} else codec


def charset_from_content_type(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return canonical_encoding(match.group(1)) if match else None


def _bom(body: bytes) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    return None


def _declared_in_markup(body: bytes) -> str | None:
    head = body[:_SNIFF_BYTES]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return canonical_encoding(match.group(1).decode("ascii", "ignore")) if match else None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_chinese(text: str) -> bool:
    """Most non-ASCII characters are Han or CJK punctuation (what a GB18030 page decodes to)."""
    wide = [ch for ch in text if ord(ch) > 127]
    if not wide:
        return False
    cjk = sum(1 for ch in wide if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
    return cjk >= 0.9 * len(wide)


def _sniff_chinese(body: bytes) -> str | None:
    """UTF-8 or GB18030 when the bytes decode cleanly to Chinese text.

    Generic detectors misread short GBK snippets as Korean or Cyrillic; for Chinese portals
    these two are by far the likeliest answers, so they are tried first.
    """
    sample = body[:200_000]
    for encoding in ("utf-8", "gb18030"):
        text = _strict(sample, encoding)
        if text is None and len(body) > len(sample):
            text = sample.decode(encoding, errors="ignore")  # the cut may split a character
        if text is not None and (encoding == "utf-8" or _looks_chinese(text)):
            if _strict(body, encoding) is not None:
                return encoding
    return None


def _detect(body: bytes) -> str | None:
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    return canonical_encoding(best.encoding) if best is not None else None


def decode_page(body: bytes, content_type: str | None = None) -> DecodedPage:
    """Decode a response body; never raises, and falls back to UTF-8 with replacement characters."""
    body = body or b""
    header, markup = charset_from_content_type(content_type), _declared_in_markup(body)
    if header in _SERVER_DEFAULTS and markup:
        header = None  # a server-wide ISO-8859-1 default says nothing about a GBK page
    declared = [header, _bom(body), markup]
    for encoding in declared:
        if encoding is None:
            continue
        text = _strict(body, encoding)
        if text is not None:
            return DecodedPage(text.lstrip("\ufeff"), encoding)
    detected = _sniff_chinese(body) or (_detect(body) if body else None)
    if detected is not None:
        text = _strict(body, detected)
        if text is not None:
            return DecodedPage(text.lstrip("\ufeff"), detected)
    # Some bytes are broken: trust the first declaration (a few bad glyphs beat mojibake).
    fallback = next((e for e in declared if e), None) or "utf-8"
    return DecodedPage(body.decode(fallback, errors="replace").lstrip("\ufeff"), fallback)
