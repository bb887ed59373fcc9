"""Numbers as plans write them: Arabic or full-width digits, Chinese numerals (一二三…十百千万, 两,
〇), 百分之…, 8.6万, ranges (10-20人) and the xx placeholders of copied templates.

Why a module of its own: deadlines (二〇二五年, 三年内) and targets (百分之九十, 两百名) read the same
numerals; each reader asks here instead of keeping its own table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Full-width digits and the few signs that go with them, one character for one, so offsets in
# the normalised text are offsets in the original (sentences are shown as written).
_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "％": "%", "－": "-", "～": "~"})

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL = {"十": 10, "百": 100, "千": 1000}
CN_BIG = {"万": 10_000, "亿": 100_000_000}
CN_NUMERAL = "零〇一二两三四五六七八九十百千万亿"

# Measure words a target may carry, longest first. 年 is deliberately absent: in plans a number
# of years is a rule on people (任教3年以上, 任期一年) or a period, never a target; 支 (一支队伍) and
# 批 (一批) name groups, not counts.
UNITS = (
    "个百分点", "平方米", "万元", "亿元", "人次", "学时", "课时", "小时", "个月",
    "%", "个", "所", "名", "人", "次", "套", "间", "座", "册", "元", "天", "项", "家", "台", "节", "场", "处",
)
_UNIT = "|".join(re.escape(u) for u in UNITS)
_ARABIC = r"\d+(?:\.\d+)?"
_CHINESE = f"[{CN_NUMERAL}]+"
_VALUE = f"(?:{_ARABIC}|{_CHINESE}|x{{1,3}})"
QUANTITY = re.compile(
    rf"百分之(?P<pct>{_ARABIC}|{_CHINESE})"
    rf"|(?P<low>{_VALUE})(?:\s*(?:-|—|~|～|至)\s*(?P<high>{_VALUE}))?(?P<mult>[万亿](?![元]))?(?P<unit>{_UNIT})"
)


@dataclass(frozen=True)
class Quantity:
    start: int
    end: int
    value: float | None  # None: an xx placeholder
    unit: str
    value_max: float | None = None  # the upper end of a range


def normalise_digits(text: str) -> str:
    """Full-width digits and signs as ASCII; same length as ``text``."""
    return text.translate(_WIDTH)


def chinese_number(text: str) -> float | None:
    """一万二千 → 12000, 二十八 → 28, 两百 → 200, 十 → 10, 二〇二五 → 2025; None if not a number."""
    if not text or any(ch not in CN_NUMERAL for ch in text):
        return None
    if all(ch in CN_DIGITS for ch in text):  # 二〇二五: digit by digit
        return float(int("".join(str(CN_DIGITS[ch]) for ch in text)))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_SMALL:
            section += (1 if digit is None else digit) * CN_SMALL[ch]
            digit = None
        else:  # 万 / 亿
            section += digit or 0
            total += (section or 1) * CN_BIG[ch]
            section, digit = 0, None
    return float(total + section + (digit or 0))


def number(text: str) -> float | None:
    """A value as written (Arabic or Chinese); None for xx placeholders and non-numbers."""
    if re.fullmatch(_ARABIC, text):
        return float(text)
    return chinese_number(text)


def quantities(text: str) -> list[Quantity]:
    """Every number with a unit (or %) in ``text`` (already digit-normalised), in order."""
    found = []
    for match in QUANTITY.finditer(text):
        if match.group("pct") is not None:
            found.append(Quantity(match.start(), match.end(), _tidy(number(match.group("pct"))), "%"))
            continue
        low, high = number(match.group("low")), match.group("high")
        multiplier = {"万": 10_000, "亿": 100_000_000}.get(match.group("mult") or "", 1)
        value = None if low is None else low * multiplier
        high_value = number(high) * multiplier if high and number(high) is not None else None
        found.append(Quantity(match.start(), match.end(), _tidy(value), match.group("unit"), _tidy(high_value)))
    return found


def _tidy(value: float | None) -> float | None:
    return None if value is None else (int(value) if float(value).is_integer() else value)
