"""Noise normalisation: the text a revision stores and the key it is compared by.

Why: a portal re-renders the same notice with a different view counter, today's date in a
"今天是" banner, full-width or half-width digits, other line breaks and padding. None of that
is a change, and a monitor that reports it is a monitor nobody reads (the first complaint
about generic page watchers). The crawler strips most page chrome; this module makes the
comparison robust against what slips through:

- ``clean_text`` is what a revision stores and a diff shows: noise lines and counters
  removed, whitespace tidied per line, blank lines dropped, characters' width kept as printed.
- ``comparison_key`` is what is hashed: ``clean_text`` folded with NFKC (full-width →
  half-width) and with all whitespace removed, so only the characters that carry meaning count.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# "浏览次数：123", "访问量 45", "阅读：6", "点击数：7", "阅读量10万+" — the counter and its number.
_COUNT = r"(?:\d[\d,，.]*\s*[万wW]?\+?)"
_COUNTER = re.compile(
    r"[【\[(（]?\s*(?:"
    # Unambiguous counter labels: the separator is optional, "-" stands for a hidden count.
    r"(?:浏览次数|浏览量|访问次数|访问量|阅读次数|阅读数|阅读量|点击次数|点击数|点击量|点击率)\s*[:：]?\s*(?:" + _COUNT + r"|-|－)"
    # 阅读/浏览/点击 are also ordinary words: "阅读：12" is a counter where the number ends;
    # "阅读 12" only at the end of the line or before 次 or a bracket ("阅读 12 篇文章" is content).
    r"|(?:阅读|浏览|点击|人气)\s*[:：]\s*" + _COUNT + r"(?=\s*次|\s|$|[】\])）|])"
    r"|(?:阅读|浏览|点击|人气)\s+" + _COUNT + r"(?=\s*次|\s*$|\s*[】\])）|])"
    r")\s*次?\s*[】\])）]?"
)
# A date, with optional time and weekday, as banners print "today".
_DATE = (
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}\s*[:：时]\s*\d{1,2}(?:\s*[:：分]\s*\d{1,2}\s*秒?)?)?"
    r"(?:\s*[（(]?\s*(?:星期|周|礼拜)[一二三四五六日天][）)]?)?"
)
# "当前时间：2026-11-22 10:00:03", "今天是：2026年11月22日 星期日" — the clock of the crawl.
# 今天/今日 are ordinary words too, so they count only when a date follows.
_TODAY = re.compile(
    r"(?:(?:当前时间|当前日期|现在时间|系统时间|打印时间|访问时间|生成时间)\s*[:：]?\s*(?:" + _DATE + r")?"
    r"|(?:今天是|今日是|现在是|今天|今日)\s*[:：]?\s*" + _DATE + r")"
)
# A line that is nothing but a date with a weekday: a banner clock, never a document's date line.
_WEEKDAY_LINE = re.compile(r"^\s*" + _DATE + r"\s*$")
_HAS_WEEKDAY = re.compile(r"(?:星期|礼拜)[一二三四五六日天]")
# Page chrome that survives extraction on some portals: a whole line that starts with one of
# these (breadcrumbs, font-size and print widgets, share bars, footers).
_CHROME_LINE = re.compile(
    r"^\s*(?:当前位置|您当前的位置|您的位置|你的位置|所在位置|分享到|相关链接|友情链接|主办单位[:：]|承办单位[:：]|"
    r"主办[:：]|承办[:：]|网站标识码|版权所有|技术支持[:：]|联系我们|网站地图|建议使用[^。，]{0,30}(?:分辨率|浏览器)|"
    r"【\s*字[体号]|字[体号][:：]\s*[【\[]?\s*大|【\s*打印|【\s*关闭|\[\s*打印|\[\s*关闭|打印本页|关闭窗口|"
    r"扫一扫在手机打开|上一篇|下一篇)"
)
_CHROME_ANYWHERE = re.compile(r"ICP备\s*\d|公网安备\s*\d|京公网安备|网站标识码[:：]")
_FONT_WIDGET = re.compile(r"[【\[]\s*字[体号]\s*[:：]?\s*大\s*中\s*小\s*[】\]]|[【\[]\s*(?:打印|关闭|打印本页|关闭窗口)\s*[】\]]")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2000-\u200b\u202f\u205f\ufeff]+")
_ALL_WHITESPACE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
# Chrome lines are short; a long paragraph that happens to start with 主办单位 is content.
_MAX_CHROME_LINE = 120


def clean_line(line: str) -> str:
    """One line without counters, clocks and widgets, spaces collapsed; "" when nothing is left."""
    line = _COUNTER.sub("", line)
    line = _TODAY.sub("", line)
    line = _FONT_WIDGET.sub("", line)
    line = _SPACES.sub(" ", line).strip()
    if not line:
        return ""
    if len(line) <= _MAX_CHROME_LINE and (_CHROME_LINE.match(line) or _CHROME_ANYWHERE.search(line)):
        return ""
    if _HAS_WEEKDAY.search(line) and _WEEKDAY_LINE.match(line):
        return ""
    return line


@lru_cache(maxsize=32)  # one monitor pass keys the same long texts several times
def clean_text(text: str | None) -> str:
    """The stored, displayable form of a text: noise removed, one paragraph per line."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (clean_line(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def fold(text: str | None) -> str:
    """NFKC without whitespace: full-width and half-width forms compare equal."""
    if not text:
        return ""
    return _ALL_WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=32)
def comparison_key(text: str | None) -> str:
    """What two texts must share to be "the same": cleaned, NFKC-folded, without whitespace."""
    return fold(clean_text(text))
