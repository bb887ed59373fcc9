"""What an alert says in a chat: WeCom markdown, plain markdown (DingTalk, Feishu, Telegram …) and text.

One layout for every chat target; only the markup differs by :class:`ChatStyle`:

- ``wecom``: WeCom's markdown, whose ``<font color>`` colours the kind and the evidence;
- ``markdown``: the markdown DingTalk, Feishu cards (``lark_md``), Telegram, Discord … read,
  bold where WeCom colours;
- ``lark``: Feishu's ``lark_md`` (inside a card): links and bold, but no headings or quotes;
- ``text``: for targets that show no markup (SMS-like services): links written out.

Everything from a portal is untrusted: in markdown it is stripped of markup characters (a
``<font>`` tag, ``<@all>``, a link or emphasis in a title would otherwise act); text needs no
escaping. The result is not yet split: see :mod:`alerts.parts`.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Sequence

from alerts.render import Notice, body_text, evidence_lines, fields, one_line

# characters of body in a one-notice chat message: a 5,000-character plan goes whole (in
# parts); a 30,000-character one would eat a robot's whole minute (20 messages), so it is cut.
CHAT_BODY_LIMIT = 6_000

_MARKDOWN_NEUTRAL = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "`": "'", "*": "＊"})


class ChatStyle(Enum):
    WECOM = "wecom"
    MARKDOWN = "markdown"
    LARK = "lark"
    TEXT = "text"


def inert(text: str | None) -> str:
    """Portal text made inert in chat markdown: no tags, mentions, links or emphasis."""
    return (text or "").translate(_MARKDOWN_NEUTRAL)


def _link(url: str) -> str:
    return url.replace(")", "%29").replace(" ", "%20")


def _notice_lines(notice: Notice, digest: bool, style: ChatStyle) -> list[str]:
    text = style is ChatStyle.TEXT
    md = (lambda value: one_line(value)) if text else (lambda value: inert(value))
    title = md(one_line(notice.title))
    if style is ChatStyle.LARK:
        lines = [f"**{title}**"]
    else:
        lines = [f"{'' if text else '### ' if digest else '## '}{title}"]
    if style is ChatStyle.WECOM:
        lines.append(f'<font color="warning">{md(notice.label)}</font>')
    else:
        lines.append(f"[{notice.label}]" if text else f"**{md(notice.label)}**")
    quote = "" if text or style is ChatStyle.LARK else "> "
    lines += [f"{quote}{md(label.split()[0])}: {md(value)}" for label, value in fields(notice)]
    if notice.summary:
        lines.append(f"摘要: {md(one_line(notice.summary))}")
    if notice.diff_summary:
        lines.append(f"改动: {md(one_line(notice.diff_summary))}")
    links = ([("在网页上查看", notice.page_url)] if notice.page_url else []) + [
        (one_line(title) or "原文", url) for title, url in notice.links[:5]
    ]
    for title, url in links:
        lines.append(f"{title}: {url}" if text else f"[{inert(title)}]({_link(url)})")
    why = notice.reasons + evidence_lines(notice)[:5]
    if why:
        hit = f"命中: {md('; '.join(why))}"
        lines.append(f'<font color="comment">{hit}</font>' if style is ChatStyle.WECOM else hit)
    body = body_text(notice, digest, CHAT_BODY_LIMIT)
    if body:
        lines.append("")
        lines += [md(line.strip()) for line in body.splitlines() if line.strip()]
    return lines


def render_chat(notices: Sequence[Notice], style: ChatStyle = ChatStyle.MARKDOWN) -> str:
    """The message for a chat target, one block per notice (a digest gets a heading line)."""
    digest = len(notices) > 1
    blocks: list[str] = []
    if digest:
        head = f"eduwatch: {len(notices)} 条更新"
        blocks.append(head if style in (ChatStyle.TEXT, ChatStyle.LARK) else f"## {head}")
    blocks += ["\n".join(_notice_lines(notice, digest, style)) for notice in notices]
    return "\n\n".join(blocks)


def render_wecom(notices: Sequence[Notice]) -> str:
    """WeCom ``markdown`` content (not yet split: see :func:`alerts.parts.split_markdown`)."""
    return render_chat(notices, ChatStyle.WECOM)


def chat_title(notices: Sequence[Notice]) -> str:
    """A one-line title (DingTalk's markdown preview, a Feishu card's header)."""
    if len(notices) > 1:
        return f"eduwatch: {len(notices)} 条更新"
    first = notices[0]
    label = re.sub(r"\s+[A-Za-z][A-Za-z ]*$", "", first.label)  # the Chinese part: "乡村教育规划 · 新文件"
    return f"{label}: {one_line(first.title)}"[:120]
