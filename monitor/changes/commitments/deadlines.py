"""Deadlines and frequencies: 到2025年 → 2025-12-31, 2025年6月底前 → 2025-06-30, 秋季开学前 → 08-31,
三年内 / 用三年时间 → 成文日期 + 3 years, 年底前 → the 成文日期's year, “十四五”期间 → 2025-12-31, and
每年 / 每学期 … for recurring targets.

What is *not* a deadline matters as much: a year in 《a cited title》 or (a plan period), 2021年度,
从2023年起, a date with its day (2023年9月18日, a signature or a consultation window), and a bare
year followed by no action (2023年4月，某县出台…) are all left alone.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from monitor.changes.commitments.numbers import CN_NUMERAL, chinese_number, number

_YEAR = r"(?P<year>20\d\d|二[〇零][一二三四五六七八九〇零][〇零一二三四五六七八九])"
_MONTH = r"(?P<month>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
# Words that make a bare year (2024年 with no 到 or 底前) a deadline when they follow it.
_ACTION = ("实现", "完成", "建成", "通过", "达到", "全部", "基本", "全面", "消除", "招收", "招聘", "新建", "建设",
           "培训", "启动", "形成", "创建", "累计", "所有", "确保", "力争", "前")
ABSOLUTE = re.compile(
    rf"(?P<to>到|至|截至|截止到?)?{_YEAR}年(?:{_MONTH}月)?"
    r"(?P<season>秋季(?:开学|学期)|春季(?:开学|学期))?(?P<end>底|末)?(?P<before>前|以前|之前)?"
)
RELATIVE = re.compile(rf"(?P<n>\d+|[{CN_NUMERAL}]+)年(?:内|时间)")
YEAR_END = re.compile(r"(?<![\d年〇一二三四五六七八九十])(?:今年|本年|当年)?年底(?:前)?")
FIVE_YEAR = re.compile(r"“?(?P<n>十[四五六])五”?(?:期间|末|时期)")
RECURRING = re.compile(r"每(?:个)?(?:年度|学年|学期|半年|季度|月|周|[两三四五]年|年)|年均")
_NOT_AFTER_YEAR = ("度", "版", "起", "以来", "以后", "后", "的", "第", "级")


@dataclass(frozen=True)
class Deadline:
    start: int
    end: int
    date: date | None  # None: relative to a 成文日期 the page does not give
    line_prefix: bool = False  # "2024年：…" dates the whole line


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _plus_years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _year(text: str) -> int:
    value = number(text)
    return int(value) if value is not None else 0


def _bracketed(text: str, position: int) -> bool:
    """Inside （…）, (…), 《…》 or 〔…〕 before ``position``: a plan period or a cited title."""
    depth = 0
    for ch in reversed(text[:position]):
        if ch in "）)》〕":
            depth += 1
        elif ch in "（(《〔":
            if depth == 0:
                return True
            depth -= 1
    return False


def _absolute(text: str, match: re.Match[str]) -> Deadline | None:
    after = text[match.end():]
    if after.startswith(("日", "-", "—", "～", "~")) or after.startswith(_NOT_AFTER_YEAR) or _bracketed(text, match.start()):
        return None
    if match.group("to") is None and match.start() > 0 and text[match.start() - 1] in "-—～~至":
        return None  # the end of a range
    year, month = _year(match.group("year")), match.group("month")
    prefix = after.startswith(("：", ":")) and not text[: match.start()].strip()
    marked = bool(match.group("to") or match.group("end") or match.group("before") or match.group("season"))
    if not (marked or prefix):
        before = text[max(0, match.start() - 2): match.start()]
        acting = after.startswith(_ACTION) or (after[:1].isdigit()) or after.startswith(tuple("xX"))
        if month or not acting or not (match.start() == 0 or before.endswith(("力争", "确保", "预计", "计划")) or before[-1:] in "，,；;。"):
            return None
    if match.group("season"):
        when = date(year, 8, 31) if match.group("season").startswith("秋") else date(year, 2, 28)
    elif month:
        when = _month_end(year, int(chinese_number(month) or 0) if not month.isdigit() else int(month))
    else:
        when = date(year, 12, 31)
    return Deadline(match.start(), match.end(), when, line_prefix=prefix)


def find_deadlines(text: str, written: date | None) -> list[Deadline]:
    """Every deadline in ``text`` (digit-normalised), in order of position."""
    found: list[Deadline] = []
    for match in ABSOLUTE.finditer(text):
        deadline = _absolute(text, match)
        if deadline is not None:
            found.append(deadline)
    for match in RELATIVE.finditer(text):
        years = number(match.group("n"))
        if years is None or years > 10 or _bracketed(text, match.start()):
            continue
        found.append(Deadline(match.start(), match.end(), _plus_years(written, int(years)) if written else None))
    for match in YEAR_END.finditer(text):
        found.append(Deadline(match.start(), match.end(), date(written.year, 12, 31) if written else None))
    for match in FIVE_YEAR.finditer(text):
        end_year = {"十四": 2025, "十五": 2030, "十六": 2035}[match.group("n")]
        found.append(Deadline(match.start(), match.end(), date(end_year, 12, 31)))
    found.sort(key=lambda d: d.start)
    return [d for i, d in enumerate(found) if not any(o.start <= d.start < o.end for o in found[:i])]


def recurring(text: str) -> str | None:
    """The frequency a clause states (每年, 每学期 …), as written; 年均 counts as 每年."""
    match = RECURRING.search(text)
    if match is None:
        return None
    return "每年" if match.group() == "年均" else match.group()
