"""doc_no  # 文号 — canonical ``机关代字〔YYYY〕N号`` so copies on different portals match.

Taken from a label table or an API only, never guessed from body text: bodies cite other
documents' numbers and extracted text loses glyphs (a real copy reads ``桓政字〔202318``).
"""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
_EMPTY = {"", "无", "-", "--", "—", "——", "/", "暂无", "无文号", "null", "none"}
# NFKC already maps ［］（）﹝﹞ to []()〔〕; 【】 and {} are mapped here, only around a 4-digit year.
_OPEN = "[【〔({<《"
_CLOSE = "]】〕)}>》"
_YEAR_IN_BRACKETS = re.compile(rf"[{re.escape(_OPEN)}]((?:19|20)\d\d)[{re.escape(_CLOSE)}]")
_BRACKETED_NUMBER = re.compile(r"〔(\d{4})〕第?0*(\d+)号?$")
_YEAR_SERIAL = re.compile(r"((?:19|20)\d\d)年第?0*(\d+)号?$")
_ORDER = re.compile(r"令第?0*(\d+)号?$")  # 国务院令第708号, 教育部令第50号


def normalize_doc_no(raw: str | None) -> str | None:
    """Canonical 文号, or None for 无 / empty / a dash.

    ``惠府办函[2023]260`` → ``惠府办函〔2023〕260号``; ``公告2026年第05号`` → ``公告2026年第5号``.
    A string that matches neither shape is returned NFKC'd without spaces rather than lost.
    """
    if raw is None:
        return None
    value = _WHITESPACE.sub("", unicodedata.normalize("NFKC", str(raw)))
    if value.lower() in _EMPTY:
        return None
    value = _YEAR_IN_BRACKETS.sub(r"〔\1〕", value)
    match = _BRACKETED_NUMBER.search(value)
    if match:
        return f"{value[:match.start()]}〔{match.group(1)}〕{int(match.group(2))}号"
    match = _YEAR_SERIAL.search(value)
    if match:
        return f"{value[:match.start()]}{match.group(1)}年第{int(match.group(2))}号"
    match = _ORDER.search(value)
    if match and match.start() > 0:
        return f"{value[:match.start()]}令第{int(match.group(1))}号"
    return value
