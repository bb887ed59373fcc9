"""What an alert says: the notice, its shared pieces and the e-mail (text + HTML), as pure functions.

Chat messages (WeCom, Apprise targets) are rendered from the same pieces in :mod:`alerts.render_chat`.

Everything that came from a portal (titles, 文号, body, evidence phrases, diff text) is
untrusted: it is ``html.escape``d in HTML, and stripped of markup characters in WeCom markdown
(where ``<@all>`` or a ``<font>`` tag in a title would otherwise act). The monitor's diff HTML is
re-emitted through a whitelist that keeps only ``<ins>``, ``<del>`` and ``<br>``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from html.parser import HTMLParser
from typing import Any, Sequence
from urllib.parse import quote

from eduwatch.event_kinds import ABOLISHED, COMMITMENT_CHANGED, COMMITMENTS_DUE, METADATA_CHANGED, NEW, REPOSTED, REVISED, WITHDRAWN
from eduwatch.local_time import DEFAULT_ZONE, local_text
from sqlalchemy.orm import object_session

from storage.models import Event, Revision

KIND_LABELS = {  # one per kind of eduwatch.event_kinds (a test checks none is missing)
    NEW: "新文件 New notice",
    REVISED: "修订 Revised",
    METADATA_CHANGED: "信息变更 Details changed",
    ABOLISHED: "废止 Abolished",
    WITHDRAWN: "撤回 Withdrawn",
    REPOSTED: "转载 Reposted",
    COMMITMENT_CHANGED: "承诺变更 Commitment changed",
    COMMITMENTS_DUE: "承诺将到期 Commitments due",
}
DIGEST_EXCERPT = 400  # characters of body per notice in a digest
SINGLE_BODY_LIMIT = 30_000  # characters of body in a one-notice e-mail
# characters of body in a one-notice WeCom message: a 5,000-character plan goes whole (in
# parts); a 30,000-character one would eat a robot's whole minute (20 messages), so it is cut.
WECOM_BODY_LIMIT = 6_000


@dataclass
class Notice:
    """One event as an alert shows it: plain values, no database behind them."""

    event_id: int
    kind: str
    title: str
    is_rural_plan: bool = False
    is_revert: bool = False
    at: datetime | None = None  # when eduwatch saw the change (naive UTC)
    zone: str = DEFAULT_ZONE  # [display] timezone: how ``at`` is shown (delivery sets it)
    publisher: str | None = None
    doc_no: str | None = None  # 文号
    index_no: str | None = None  # 索引号
    written_date: date | str | None = None  # 成文日期
    published_date: date | str | None = None  # 发布日期
    validity: str | None = None  # 有效性
    region: str | None = None
    portal_title: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (portal title, url)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    summary: str = ""
    diff_summary: str | None = None
    diff_html: str | None = None
    body: str = ""
    document_id: int | None = None
    revision_number: int | None = None  # the revision the event is about, for a pinned diff link
    page_url: str | None = None  # the web view's page for it ([web] public_url; see link_to_web)

    @property
    def label(self) -> str:
        label = KIND_LABELS.get(self.kind, self.kind)
        if self.is_rural_plan:
            label = f"乡村教育规划 · {label}"
        if self.is_revert:
            label += " (reverted)"
        return label


def notice_from_event(event: Event, reasons: Sequence[str] = ()) -> Notice:
    """Collect what the alert shows about ``event`` (reads its document, portal, sources)."""
    document = event.document
    portal = event.portal or next((s.portal for s in document.sources if s.portal), None)
    details = event.details or {}
    diff_summary = details.get("summary") if isinstance(details.get("summary"), str) else None
    if event.kind in (COMMITMENT_CHANGED, COMMITMENTS_DUE):  # each commitment changed (old → new) or due
        diff_summary = "\n".join(str(c.get("line", "")) for c in details.get("commitments") or [] if isinstance(c, dict))
    if diff_summary and one_line(diff_summary) == one_line(event.summary):
        diff_summary = None  # the monitor often puts the same text in both: show it once
    return Notice(
        event_id=event.id,
        kind=event.kind,
        title=document.title or document.title_raw or "(untitled)",
        is_rural_plan=bool(event.is_rural_plan),
        is_revert=bool(event.is_revert),
        at=event.at,
        publisher=document.publisher,
        doc_no=document.doc_no_raw or document.doc_no,
        index_no=document.index_no_raw or document.index_no,
        written_date=document.written_date or document.written_date_raw,
        published_date=document.published_date or document.published_date_raw,
        validity=document.validity,
        region=portal.region if portal else None,
        portal_title=portal.title if portal else None,
        links=[(s.portal.title if s.portal else "", s.url) for s in document.sources],
        evidence=[e for e in (document.rural_evidence or []) if isinstance(e, dict)],
        reasons=list(reasons),
        summary=event.summary or "",
        diff_summary=diff_summary,
        diff_html=details.get("html") if isinstance(details.get("html"), str) else None,
        body=document.body or "",
        document_id=event.document_id,
        revision_number=_revision_number(event),
    )


def _revision_number(event: Event) -> int | None:
    session = object_session(event)
    if event.revision_id is None or session is None:
        return None
    revision = session.get(Revision, event.revision_id)
    return revision.number if revision is not None else None


DIFF_KINDS = (REVISED, METADATA_CHANGED)  # alerts about a change link to its diff page


def show_in_zone(notices: Sequence[Notice], zone: str) -> None:
    """Show the notices' times in ``zone`` (``[display] timezone``): readers are in China."""
    for notice in notices:
        notice.zone = zone


def link_to_web(notices: Sequence[Notice], public_url: str | None) -> None:
    """Point each notice at its page in the web view, when the view has a public address: the
    diff page of the change (pinned to the event's revision) or the document's page. Built from
    the configured URL alone: the alerts layer does not know the web view's code."""
    if not public_url:
        return
    base = public_url.rstrip("/")
    for notice in notices:
        if notice.document_id is None:
            continue
        page = f"{base}/documents/{notice.document_id}"
        if notice.kind in DIFF_KINDS:
            page += "/diff" + (f"?to={notice.revision_number}" if notice.revision_number else "")
        notice.page_url = page


# --- shared pieces --------------------------------------------------------------------------


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def fields(notice: Notice) -> list[tuple[str, str]]:
    """(label, value) rows of the document's metadata, empty ones left out."""
    rows = [
        ("发现时间 Seen", local_text(notice.at, notice.zone, seconds=False)),
        ("发布机构 Publisher", notice.publisher),
        ("文号 Document no.", notice.doc_no),
        ("索引号 Index no.", notice.index_no),
        ("成文日期 Written", notice.written_date),
        ("发布日期 Published", notice.published_date),
        ("有效性 Validity", notice.validity),
        ("地区 Region", notice.region),
    ]
    return [(label, one_line(str(value))) for label, value in rows if value]


def evidence_lines(notice: Notice) -> list[str]:
    lines = []
    for item in notice.evidence[:12]:
        phrase = one_line(str(item.get("phrase", "")))
        where = one_line(str(item.get("field", "")))
        count = item.get("count", 1)
        weight = item.get("weight")
        weight_text = f", weight {weight:g}" if isinstance(weight, (int, float)) else ""
        lines.append(f"“{phrase}” in {where} ×{count}{weight_text}")
    return lines


def body_text(notice: Notice, digest: bool, limit: int = SINGLE_BODY_LIMIT) -> str:
    body = notice.body.strip()
    limit = DIGEST_EXCERPT if digest else limit
    return body if len(body) <= limit else body[:limit].rstrip() + " …(全文见原文链接 full text at the source)"


class _DiffSanitizer(HTMLParser):
    """Re-emits diff HTML keeping text (escaped) and bare <ins>, <del>, <br> tags only."""

    ALLOWED = ("ins", "del")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.ALLOWED:
            self.out.append(f"<{tag}>")
            self.open.append(tag)
        elif tag == "br":
            self.out.append("<br>")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.ALLOWED and tag in self.open:
            while self.open:
                closing = self.open.pop()
                self.out.append(f"</{closing}>")
                if closing == tag:
                    break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data).replace("¶", ""))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def sanitize_diff_html(fragment: str) -> str:
    parser = _DiffSanitizer()
    parser.feed(fragment)
    return parser.result()


class _DiffText(HTMLParser):
    """Diff HTML as plain text: [+inserted+] and [-deleted-]."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append({"ins": "[+", "del": "[-", "br": "\n"}.get(tag, ""))

    def handle_endtag(self, tag: str) -> None:
        self.out.append({"ins": "+]", "del": "-]"}.get(tag, ""))

    def handle_data(self, data: str) -> None:
        self.out.append(data.replace("¶", ""))


def diff_as_text(fragment: str) -> str:
    parser = _DiffText()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.out).strip()


# --- e-mail ---------------------------------------------------------------------------------


def email_subject(notices: Sequence[Notice]) -> str:
    first = notices[0]
    title = one_line(first.title)
    if len(title) > 120:
        title = title[:120] + "…"
    if len(notices) == 1:
        return f"[eduwatch] {KIND_LABELS.get(first.kind, first.kind).split()[0]}: {title}"
    return f"[eduwatch] {len(notices)} 条更新 updates: {title} …"


def render_email(
    notices: Sequence[Notice],
    *,
    to_addr: str,
    from_addr: str,
    message_id: str,
    subscriber_name: str,
    sent_at: datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative UTF-8 message (plain text first, HTML second)."""
    if not notices:
        raise ValueError("render_email needs at least one notice")
    digest = len(notices) > 1
    message = EmailMessage(policy=SMTP)
    message["Subject"] = email_subject(notices)
    message["From"] = from_addr
    message["To"] = to_addr
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(sent_at or datetime.now().astimezone())
    unsubscribe = f"mailto:{Address(addr_spec=_bare(from_addr)).addr_spec}?subject=unsubscribe%20{_url_word(subscriber_name)}"
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["X-Eduwatch-Events"] = ",".join(str(n.event_id) for n in notices)
    message.set_content(email_text(notices, subscriber_name, digest), subtype="plain", charset="utf-8")
    message.add_alternative(email_html(notices, subscriber_name, digest), subtype="html", charset="utf-8")
    return message


def _bare(address: str) -> str:
    return address.rpartition("<")[2].rstrip(">").strip() if "<" in address else address.strip()


def _url_word(text: str) -> str:
    return quote(text, safe="")


def email_text(notices: Sequence[Notice], subscriber_name: str, digest: bool) -> str:
    parts: list[str] = []
    for number, notice in enumerate(notices, start=1):
        number_text = f"{number}. " if digest else ""
        lines = [f"{number_text}[{notice.label}] {one_line(notice.title)}", ""]
        lines += [f"{label}: {value}" for label, value in fields(notice)]
        if notice.page_url:
            lines += ["", f"网页查看 View on the web: {notice.page_url}"]
        if notice.summary:
            lines += ["", f"摘要 Summary: {one_line(notice.summary)}"]
        if notice.diff_summary or notice.diff_html:
            lines += ["", "改动 Changes:"]
            if notice.diff_summary:
                lines.append(notice.diff_summary.strip())
            if notice.diff_html:
                lines.append(diff_as_text(notice.diff_html))
        if notice.links:
            lines += ["", "来源 Sources:"] + [f"- {title} {url}".replace("  ", " ") for title, url in notice.links]
        why = notice.reasons + [f"classifier: {line}" for line in evidence_lines(notice)]
        if why:
            lines += ["", "为何提醒 Why you get this:"] + [f"- {line}" for line in why]
        body = body_text(notice, digest)
        if body:
            lines += ["", "正文 Text:", body]
        parts.append("\n".join(lines))
    footer = (
        f"\n\n-- \neduwatch alert for subscriber {subscriber_name}. "
        f"To stop: eduwatch subscribers remove {subscriber_name} (or reply 'unsubscribe')."
    )
    return ("\n\n" + "=" * 40 + "\n\n").join(parts) + footer + "\n"


def email_html(notices: Sequence[Notice], subscriber_name: str, digest: bool) -> str:
    e = html.escape
    sections: list[str] = []
    for notice in notices:
        rows = "".join(
            f'<tr><th style="text-align:left;padding-right:1em;color:#555">{e(label)}</th><td>{e(value)}</td></tr>'
            for label, value in fields(notice)
        )
        out = [
            f'<h2 style="font-size:1.2em">{e(one_line(notice.title))}</h2>',
            f'<p><strong style="color:#b35900">{e(notice.label)}</strong></p>',
            f"<table>{rows}</table>",
        ]
        if notice.page_url:
            out.append(f'<p><a href="{e(notice.page_url, quote=True)}">在网页上查看{"改动" if notice.kind in DIFF_KINDS else ""} '
                       "View on the web</a></p>")
        if notice.summary:
            out.append(f"<p>{e(one_line(notice.summary))}</p>")
        if notice.diff_summary or notice.diff_html:
            out.append("<h3>改动 Changes</h3>")
            if notice.diff_summary:
                out.append(f"<p>{e(notice.diff_summary.strip())}</p>")
            if notice.diff_html:
                out.append(
                    '<div class="diff" style="white-space:pre-wrap;border-left:3px solid #ccc;padding-left:8px">'
                    f"{sanitize_diff_html(notice.diff_html)}</div>"
                )
        if notice.links:
            items = "".join(
                f'<li>{e(title)} <a href="{e(url, quote=True)}">{e(url)}</a></li>' for title, url in notice.links
            )
            out.append(f"<h3>来源 Sources</h3><ul>{items}</ul>")
        why = notice.reasons + [f"classifier: {line}" for line in evidence_lines(notice)]
        if why:
            out.append("<h3>为何提醒 Why you get this</h3><ul>" + "".join(f"<li>{e(w)}</li>" for w in why) + "</ul>")
        body = body_text(notice, digest)
        if body:
            out.append(f'<h3>正文 Text</h3><div style="white-space:pre-wrap">{e(body)}</div>')
        sections.append("\n".join(out))
    style = "ins{background:#e6ffe6;text-decoration:none}del{background:#ffe6e6}"
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>{e(email_subject(notices))}</title><style>{style}</style></head>"
        '<body style="font-family:sans-serif;max-width:50em">\n'
        + "\n<hr>\n".join(sections)
        + f'\n<hr><p style="color:#777;font-size:small">eduwatch alert for subscriber {e(subscriber_name)}. '
        f"To stop: <code>eduwatch subscribers remove {e(subscriber_name)}</code>.</p></body></html>\n"
    )
