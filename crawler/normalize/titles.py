"""Titles and publishers: one display form and one comparison form.

List pages truncate titles with "..." and reposts change quote and bracket styles, so
fingerprints compare ``title_key`` (letters and digits only), never the display form.
"""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
_TRUNCATION = re.compile(r"\s*(?:\.{2,}|…+|。{3,})\s*$")


def clean_title(raw: str | None) -> str:
    """Display form: NFC, whitespace runs collapsed to one space, trailing ``...``/``…`` removed."""
    if raw is None:
        return ""
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", str(raw))).strip()
    return _TRUNCATION.sub("", text)


def title_key(title: str) -> str:
    """Comparison form: NFKC, lower-case, only letters and digits (no spaces, punctuation, quotes, brackets)."""
    text = unicodedata.normalize("NFKC", title or "").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def normalize_publisher(raw: str | None) -> str | None:
    """publisher (发布机构): NFKC without whitespace; None when empty."""
    if raw is None:
        return None
    value = _WHITESPACE.sub("", unicodedata.normalize("NFKC", str(raw)))
    return value or None
