"""Extraction from detail pages: label metadata, body text, attachment links and their text.

Each function accepts the page as a string or as a tree from :func:`parse_html`, so a spider
can parse a page once and run every extractor on the same tree (no extractor mutates it).
"""

from __future__ import annotations

import re
import threading

import lxml.html
from lxml import etree

HtmlTree = lxml.html.HtmlElement
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# lxml.html's own parser picks each element's class in a Python callback (form, input, label …
# get classes of their own), run for every element the extractors touch: ~12% of label
# extraction. Every element is a plain HtmlElement here (text_content, cssselect), chosen in C.
_ELEMENT_CLASSES = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity,
)
_parsers = threading.local()  # an lxml parser must not be used by two threads at once


def _parser() -> lxml.html.HTMLParser:
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = lxml.html.HTMLParser()
        parser.set_element_class_lookup(_ELEMENT_CLASSES)
    return parser


def parse_html(html: str | bytes | HtmlTree) -> HtmlTree:
    """An lxml tree for ``html``; an empty or broken page gives an empty document, never an error."""
    if isinstance(html, etree._Element):
        return html
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    text = _XML_DECLARATION.sub("", html or "")
    try:
        return lxml.html.document_fromstring(text, parser=_parser()) if text.strip() else _empty()
    except (etree.ParserError, ValueError):
        return _empty()


def _empty() -> HtmlTree:
    return lxml.html.document_fromstring("<html><body></body></html>", parser=_parser())


from crawler.extract.attachments import (  # noqa: E402  (submodules need parse_html above)
    ATTACHMENT_TYPES,
    AttachmentError,
    AttachmentLink,
    attachment_text,
    find_attachments,
    is_attachment_only,
)
from crawler.extract.body import DEFAULT_BODY_SELECTORS, extract_body  # noqa: E402
from crawler.extract.labels import PageMetadata, extract_metadata  # noqa: E402

__all__ = [
    "ATTACHMENT_TYPES",
    "DEFAULT_BODY_SELECTORS",
    "AttachmentError",
    "AttachmentLink",
    "HtmlTree",
    "PageMetadata",
    "attachment_text",
    "extract_body",
    "extract_metadata",
    "find_attachments",
    "is_attachment_only",
    "parse_html",
]
