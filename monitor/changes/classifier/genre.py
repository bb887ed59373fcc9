"""(b) Is the page a plan, or the public trace of one? Read from the title first, then the body.

Counts (guide (b)): a plan (title ends with 方案/计划/意见/办法…), a 通知 issuing one, a draft
(marked draft), a page soliciting comments on a named draft, a news page whose title or body
reports that a plan was issued, and a page (news or 通知) whose body reproduces a plan in full.
Does not count: 公告/公示/招标/总结/解读/答记者问/一图读懂, and news about events.
"""

from __future__ import annotations

import re

from monitor.changes.classifier import rules
from monitor.changes.classifier.subject import alternation, first_word
from monitor.changes.classifier.types import ClassifiableDocument, Evidence

_MARKERS = alternation(rules.BODY_PLAN_MARKERS)
_PLAN_WORD_AT_END = re.compile(
    "(?:" + "|".join(re.escape(w) for w in sorted(rules.PLAN_WORDS, key=len, reverse=True)) + ")$"
)
_PLAN_WORD_ANYWHERE = alternation(rules.PLAN_WORDS)
# Dates, 试行, 征求意见稿, a 〔文号〕, closing quotes and punctuation that may end a title.
_BRACKETS_AT_END = re.compile(
    r"(?:[（(][^（）()]{0,40}[）)]|〔[^〔〕]{0,20}〕|【[^【】]{0,20}】|\[[^\[\]]{0,20}\]"
    r"|[》」』\"”'’。.：:\-—_])+$"
)
_NOTICE_AT_END = re.compile(r"的?(?:通知|决定)$")
_ISSUING = re.compile("(?:" + "|".join(rules.ISSUING_VERBS) + r")(?P<name>.+?)的?(?:通知|决定)$")
_SECTION = re.compile(r"(?:^|[\s。：:；;])([一二三四五六七八九十]{1,3})[、.．]", re.MULTILINE)
_PLAN_NAME = re.compile(
    r"《[^《》]{2,80}?(?:方案|计划|规划|意见|办法|措施|细则|纲要)(?:[（(][^《》]{0,20}[）)])?》"
    r"|^[^\n]{4,60}(?:方案|计划|规划|意见|办法|措施|细则|纲要)(?:[（(][^\n]{0,20}[）)])?\s*$",
    re.MULTILINE,
)
_CONSULTATION = re.compile(
    "(?:" + "|".join(rules.CONSULTATION_VERBS) + r").{0,8}?《(?P<name>[^《》]{2,100})》.{0,8}?意见"
)
_REPORTING_PLAN = "|".join(re.escape(w) for w in sorted(rules.REPORTING_PLAN_WORDS, key=len, reverse=True))
_REPORTING_TITLE = re.compile(
    "(?:" + "|".join(rules.REPORTING_TITLE_VERBS) + f").*?(?P<plan>{_REPORTING_PLAN})"
)
_BREAKERS = re.escape(rules.COMPOSE_BREAKERS.replace("《", "").replace("》", ""))
_REPORTING_BODY = re.compile(
    "(?P<verb>" + "|".join(rules.REPORTING_BODY_VERBS) + ")了?"
    r"(?:《(?P<name>[^《》]{2,80}?)》"
    f"|(?P<bare>[^{_BREAKERS}《》]{{0,{rules.REPORTING_BODY_WINDOW}}}?(?:{_REPORTING_PLAN})))"
)
_CLAUSE_START = re.compile(f"[{_BREAKERS}][^{_BREAKERS}]*$")


def strip_end(title: str) -> str:
    """The title without what may follow its genre word: (2023—2027年), (试行), 〔文号〕, 》."""
    while True:
        stripped = _NOTICE_AT_END.sub("", _BRACKETS_AT_END.sub("", title))
        if stripped == title:
            return title
        title = stripped


def _name_genre(name: str) -> tuple[str | None, str | None]:
    """("plan", word) / ("not-plan:<word>", word) / (None, None) for a title or document name."""
    negative = first_word(name, rules.NOT_PLAN_TITLE_WORDS)
    if negative:
        return f"not-plan:{negative}", negative
    ends_with = _PLAN_WORD_AT_END.search(strip_end(name))
    if ends_with:
        return "plan", ends_with.group(0)
    negative = first_word(name, rules.NOT_PLAN_UNLESS_PLAN_TITLE_WORDS)
    if negative:
        return f"not-plan:{negative}", negative
    return None, None


def _consultation(title: str) -> str | None:
    """The draft's name when the page solicits comments on a named draft plan."""
    match = _CONSULTATION.search(title)
    if match is None:
        return None
    name = match.group("name")
    if first_word(name, rules.DRAFT_WORDS) or _PLAN_WORD_ANYWHERE.search(name):
        return name
    return None


def title_genre(title: str) -> tuple[str | None, str | None]:
    """Genre decided by the title alone, or None to ask the body; plus the deciding word.

    A None genre comes with hint "通知" (a notice that issues no named plan), "新闻" (an event
    headline) or None (a headline without genre words): such a page is a plan only if its body
    reproduces one in full, or (no event headline) reports that one was issued.
    """
    if _consultation(title):  # the draft's name carries 征求意见稿, so genre() marks it draft
        return "consultation-on-draft", "征求意见"
    core = _BRACKETS_AT_END.sub("", title)
    issuing = _ISSUING.search(core)
    if issuing:  # 关于印发《…》的通知: the issued document's name decides
        genre, word = _name_genre(issuing.group("name"))
        if genre == "plan":
            return "notice-issuing-plan", word
        if genre is None:
            named_plan = _PLAN_WORD_ANYWHERE.search(issuing.group("name"))
            return ("notice-issuing-plan", named_plan.group(0)) if named_plan else (None, "通知")
        return genre, word
    genre, word = _name_genre(core)
    if genre is not None:
        return genre, word
    if _NOTICE_AT_END.search(core):
        return None, "通知"
    reported = _REPORTING_TITLE.search(core)
    if reported:  # 某县出台…措施, 我县印发方案推进…: the headline reports an issued plan
        return "news-reporting-plan", reported.group("plan")
    if first_word(core, rules.NEWS_EVENT_TITLE_WORDS):
        return None, "新闻"
    return None, None


def body_reproduces_plan(text: str) -> bool:
    """A long body with 一、二、三、 sections, plan-section markers and a plan's name."""
    if len(text) < rules.BODY_PLAN_MIN_CHARS:
        return False
    text = text[: rules.BODY_PLAN_READ_CHARS]
    sections = {m.group(1) for m in _SECTION.finditer(text)}
    if len(sections) < rules.BODY_PLAN_MIN_SECTIONS:
        return False
    markers = set(_MARKERS.findall(text))
    if len(markers) < rules.BODY_PLAN_MIN_MARKERS:
        return False
    return _PLAN_NAME.search(text) is not None


def body_reports_plan(text: str) -> tuple[int, str] | None:
    """(offset, what) of the first report that a plan was issued, not counting citations."""
    for match in _REPORTING_BODY.finditer(text):
        name = match.group("name")
        if name is not None and not _PLAN_WORD_ANYWHERE.search(name):
            continue  # 印发《通讯录》 names no plan
        clause = _CLAUSE_START.search(text, max(0, match.start() - 60), match.start())
        before = clause.group(0) if clause else text[max(0, match.start() - 60):match.start()]
        if first_word(before, rules.REPORTING_CITATION_WORDS):
            continue  # 根据…印发的…: the text cites a source, it does not report an issue
        shown = f"《{name}》" if name is not None else match.group("bare")
        return match.start(), f"{match.group('verb')}{shown}"
    return None


def genre(title: str, doc: ClassifiableDocument, body: str) -> tuple[str, list[Evidence]]:
    """The genre and its evidence (weight 0); ``body`` is the whitespace-free body."""
    found, word = title_genre(title)
    evidence = []
    draft = first_word(title, rules.DRAFT_WORDS) or ("征求意见" if found == "consultation-on-draft" else None)
    if draft:
        evidence.append(Evidence("title", f"draft:{draft}", 0.0))
    full_text = (doc.body or "") + "\n" + (doc.attachments_text or "")
    if found == "news-reporting-plan" and body_reproduces_plan(full_text):
        return "news-reproducing-plan", [Evidence("body", "genre:正文为完整方案", 0.0)] + evidence
    if found is not None:
        return found, [Evidence("title", f"genre:{word}", 0.0)] + evidence
    if body_reproduces_plan(full_text):
        kind = "notice-reproducing-plan" if word == "通知" else "news-reproducing-plan"
        return kind, [Evidence("body", "genre:正文为完整方案", 0.0)] + evidence
    if word is None:  # a headline without genre or event words: does the text report an issue?
        report = body_reports_plan(body)
        if report is not None:
            at, what = report
            return "news-reporting-plan", [Evidence("body", f"genre:报道{what}", 0.0, 1, (at,))] + evidence
    reason = word or "未见方案"
    return f"not-plan:{reason}", [Evidence("title", f"genre:{reason}", 0.0)] + evidence
