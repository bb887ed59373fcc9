"""Related pages: a news page or 解读 that names a known plan by its title (《…》) or 文号.

The same plan appears as the issuing 通知, a news report and a 解读 (guide, "Identity of a
plan"): one ``new_plan`` alert, the other pages listed as related. Links are derived, not
stored: a plan's own keys (its name, its 文号) against the keys a page cites. The monitor asks
:func:`alerted_relative` before a plan's ``new`` event goes out as a plan (either side may be
seen first); ``show`` asks :func:`related_pages`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.changes.classifier.genre import strip_end
from storage.models import Document, Event

NEW = "new"  # the event kind a plan's alert rides on (eduwatch.event_kinds.NEW)
# Genres (as stored by monitor.changes.classification) of pages that report or explain a plan.
PAGE_GENRES = ("news-reporting-plan", "news-reproducing-plan", "not-plan:解读", "not-plan:答记者问",
               "not-plan:一图读懂", "not-plan:图解", "not-plan:问答", "not-plan:新闻", "not-plan:未见方案")
MIN_NAME_CHARS = 8  # a shorter 《name》 (《实施方案》, 《方案》) names no particular plan
_NAMED = re.compile(r"《([^《》]{4,100})》")
_PLAN_WORD = re.compile(r"(?:方案|计划|规划|纲要|意见|办法|措施|细则)")
_ISSUED = re.compile(r"(?:印发|转发|下发|颁发|发布)《?(?P<name>.+?)》?的?(?:通知|决定)$")
_YEAR_BRACKETS = re.compile(r"[〔\[［【(（﹝{]\s*(\d{4})\s*[〕\]］】)）﹞}]\s*0*(\d{1,4})\s*号")
_ISSUER_DOC_NO = re.compile(r"〔\d{4}〕\d+号")
_NOISE = re.compile(r"[\s“”\"'‘’「」『』〈〉<>]")
NEEDLE_CHARS = 8  # the tail of a key a database LIKE looks for before Python checks the key


@dataclass(frozen=True)
class Link:
    page_id: int
    plan_id: int
    via: str  # title | doc_no
    key: str  # the matched name or 文号
    title: str  # the other document's title


def _name_key(name: str) -> str:
    """A plan name as compared: NFKC, no spaces or quotes, no trailing (2023—2027年)/(试行)."""
    return strip_end(_NOISE.sub("", unicodedata.normalize("NFKC", name)))


def _doc_nos(text: str) -> str:
    """Text with every 文号 in one form: brackets around the year as 〔〕, no leading zeros."""
    text = _NOISE.sub("", unicodedata.normalize("NFKC", text or ""))
    return _YEAR_BRACKETS.sub(lambda m: f"〔{m.group(1)}〕{int(m.group(2))}号", text)


def own_keys(document: Document) -> set[tuple[str, str]]:
    """The keys a document answers to as a plan: its name (from its title) and its 文号."""
    title = _NOISE.sub("", unicodedata.normalize("NFKC", document.title or ""))
    issued = _ISSUED.search(title)
    name = _name_key(issued.group("name") if issued else title)
    keys = {("title", name)} if len(name) >= MIN_NAME_CHARS and _PLAN_WORD.search(name) else set()
    doc_no = _doc_nos(document.doc_no or "")
    if _ISSUER_DOC_NO.search(doc_no):  # 2026年第5号 is every publisher's: it names no plan
        keys.add(("doc_no", doc_no))
    return keys


def cited_names(document: Document) -> set[str]:
    """The plan names a page gives in 《…》, in its title or body."""
    text = unicodedata.normalize("NFKC", f"{document.title or ''}\n{document.body or ''}")
    return {
        key for key in (_name_key(n) for n in _NAMED.findall(text))
        if len(key) >= MIN_NAME_CHARS and _PLAN_WORD.search(key)
    }


def stored_genre(document: Document) -> str | None:
    """The genre the last classification stored (the ``verdict`` evidence item)."""
    for item in document.rural_evidence or ():
        if isinstance(item, dict) and item.get("field") == "verdict":
            return item.get("phrase")
    return None


def is_page(document: Document) -> bool:
    return stored_genre(document) in PAGE_GENRES


def _link(page: Document, plan: Document) -> Link | None:
    """How ``page`` names ``plan`` (by 《title》 or by 文号), or None."""
    if page.id == plan.id:
        return None
    keys = own_keys(plan)
    names = {key for via, key in keys if via == "title"} & cited_names(page)
    if names:
        return Link(page.id, plan.id, "title", sorted(names)[0], "")
    text = _doc_nos(f"{page.title or ''}\n{page.body or ''}")
    for via, key in sorted(keys):
        if via == "doc_no" and key in text:
            return Link(page.id, plan.id, "doc_no", key, "")
    return None


def _alerted_plans(session: Session) -> list[Document]:
    alerted = select(Event.document_id).where(Event.kind == NEW, Event.is_rural_plan.is_(True))
    return list(session.scalars(select(Document).where(Document.id.in_(alerted))))


def alerted_relative(session: Session, document: Document) -> Link | None:
    """A plan already announced as one that this document is a page of, or that is a page of it.

    Either order of arrival: a news page seen after the plan names the plan; a plan seen after
    the news page (which alerted, as the only trace then) is named by that page.
    """
    for other in _alerted_plans(session):
        if other.id == document.id:
            continue
        if is_page(document):
            link = _named(_link(document, other), other.title)
            if link is not None:
                return link
        if is_page(other):
            link = _named(_link(other, document), other.title)
            if link is not None:
                return link
    return None


def _named(link: Link | None, title: str) -> Link | None:
    return None if link is None else Link(link.page_id, link.plan_id, link.via, link.key, title)


def related_pages(session: Session, document: Document) -> list[Link]:
    """Pages naming this document, and (for a page) the plans it names; for ``show``.

    The database narrows by the tail of each key (LIKE); the keys themselves are compared here.
    """
    links: dict[tuple[int, int], Link] = {}
    for via, key in sorted(own_keys(document)):
        needle = f"%{key[-NEEDLE_CHARS:]}%"
        if via == "doc_no":  # bodies write the year in any brackets: look for year and number
            needle = "%" + "%".join(re.findall(r"\d+", key)) + "号%"
        for page in session.scalars(select(Document).where(Document.id != document.id, Document.body.like(needle))):
            link = _named(_link(page, document), page.title) if is_page(page) else None
            if link is not None:
                links.setdefault((link.page_id, link.plan_id), link)
    if is_page(document):
        for name in sorted(cited_names(document)):
            needle = f"%{name[-NEEDLE_CHARS:]}%"
            for plan in session.scalars(select(Document).where(Document.id != document.id, Document.title.like(needle))):
                link = _named(_link(document, plan), plan.title)
                if link is not None:
                    links.setdefault((link.page_id, link.plan_id), link)
    return list(links.values())
