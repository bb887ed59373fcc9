"""Dates as portals print them: ISO-ish, 年月日, Chinese numerals, epoch seconds or milliseconds.

成文日期 (written_date) and 发布日期 (published_date) differ and are both kept; this module only
turns one printed value into a ``datetime.date``, in Beijing time.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

BEIJING = dt.timezone(dt.timedelta(hours=8))
MIN_YEAR = 1949

_NUMERIC = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?")
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")
_EPOCH = re.compile(r"-?\d{9,13}(?:\.\d+)?")
_CN_DIGITS = "〇○零ｏＯO一二三四五六七八九"
_CN_VALUE = {ch: 0 for ch in "〇○零ｏＯO"} | {ch: i for i, ch in enumerate("一二三四五六七八九", 1)}
_CHINESE = re.compile(
    rf"([{_CN_DIGITS}]{{4}})\s*年\s*([{_CN_DIGITS}十]{{1,3}})\s*月\s*([{_CN_DIGITS}十]{{1,3}})\s*日?"
)


def _today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def _plausible(year: int, month: int, day: int) -> dt.date | None:
    """A real calendar date between 1949 and a year from now; typos and ids are rejected."""
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None
    if year < MIN_YEAR or value > _today() + dt.timedelta(days=366):
        return None
    return value


def _from_epoch(number: float) -> dt.date | None:
    """Seconds or milliseconds since 1970 (gkmlpt ``create_time``), read in Beijing time.

    0 and negatives are APIs' "unset" placeholders, not 1970.
    """
    if number <= 0:
        return None
    seconds = number / 1000 if abs(number) >= 1e11 else number
    try:
        value = dt.datetime.fromtimestamp(seconds, BEIJING).date()
    except (OverflowError, OSError, ValueError):
        return None
    return _plausible(value.year, value.month, value.day)


def _chinese_number(text: str) -> int | None:
    """十 → 10, 十二 → 12, 二十 → 20, 三十一 → 31, 〇九 → 9."""
    if "十" in text:
        tens, _, units = text.partition("十")
        if len(tens) > 1 or len(units) > 1:
            return None
        return (_CN_VALUE[tens] if tens else 1) * 10 + (_CN_VALUE[units] if units else 0)
    value = 0
    for ch in text:
        value = value * 10 + _CN_VALUE[ch]
    return value


def _from_chinese(match: re.Match[str]) -> dt.date | None:
    year = _chinese_number(match.group(1))
    month = _chinese_number(match.group(2))
    day = _chinese_number(match.group(3))
    if year is None or month is None or day is None:
        return None
    return _plausible(year, month, day)


def parse_date(raw: str | int | float | None) -> dt.date | None:
    """The date in ``raw``, or None when there is none or it is implausible (< 1949, > a year ahead)."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (dt.datetime, dt.date)):
        value = raw.astimezone(BEIJING).date() if isinstance(raw, dt.datetime) and raw.tzinfo else raw
        return value.date() if isinstance(value, dt.datetime) else value
    if isinstance(raw, (int, float)):
        return _from_epoch(float(raw))
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return None
    if _EPOCH.fullmatch(text):
        return _from_epoch(float(text))
    match = _NUMERIC.search(text)
    if match:
        return _plausible(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _CHINESE.search(text)
    if match:
        return _from_chinese(match)
    match = _COMPACT.search(text)
    if match:
        return _plausible(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    return None


_DATE_LINE = re.compile(
    rf"(?:\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日?"
    rf"|\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}"
    rf"|[{_CN_DIGITS}]{{4}}\s*年\s*[{_CN_DIGITS}十]{{1,3}}\s*月\s*[{_CN_DIGITS}十]{{1,3}}\s*日?)"
)


def find_signature_date(text: str) -> dt.date | None:
    """The date of the last line that is only a date — the 落款 under the issuer's name.

    Used when a page has no 成文日期 label; lines that merely mention a date are ignored.
    """
    if not text:
        return None
    for line in reversed(unicodedata.normalize("NFKC", text).splitlines()):
        line = line.strip().strip("()（）")
        if line and _DATE_LINE.fullmatch(line):
            value = parse_date(line)
            if value is not None:
                return value
    return None
