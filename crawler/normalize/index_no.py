"""index_no  # 索引号 — opaque, unique per publishing site; compared case- and width-insensitively."""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")  # str patterns match U+3000 and NBSP too
_EMPTY = {"", "无", "-", "--", "—", "——", "/", "暂无", "null", "NONE", "NULL"}


def normalize_index_no(raw: str | None) -> str | None:
    """Canonical 索引号: NFKC, no whitespace at all, letters upper-cased; None when absent.

    Portals print the same number with full-width digits, spaces or a lower-case check
    letter (``…012x``); without one form two copies of a document would not match.
    """
    if raw is None:
        return None
    value = _WHITESPACE.sub("", unicodedata.normalize("NFKC", str(raw)))
    if value in _EMPTY or value.upper() in _EMPTY:
        return None
    return value.upper()
