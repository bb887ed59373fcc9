"""Rendered alerts for a real seed document, saved under tests/output/alerts/ for a person to open."""

from __future__ import annotations

from email import message_from_bytes, policy

from alerts.outbox import message_id
from alerts.render import KIND_LABELS, notice_from_event, render_email, sanitize_diff_html
from alerts.render_chat import ChatStyle, render_chat, render_wecom
from alerts.parts import utf8_len
from alerts.wecom import split_markdown
from eduwatch.event_kinds import EVENT_KINDS
from tests.alerts.conftest import OUTPUT, add_document, add_event, add_portal, seed_001

OUT = OUTPUT / "alerts"


def _seed_notice(db, kind: str = "new", details: dict | None = None):
    with db.transaction() as session:
        huilai = add_portal(session)
        document = add_document(session, huilai, **seed_001())
        document.rural_evidence = [
            {"field": "body", "phrase": "乡村教育", "weight": 2.0, "count": 3},
            {"field": "title", "phrase": "教育行动方案", "weight": 3.0, "count": 1},
        ]
        event = add_event(session, document, huilai, kind, details=details)
        return notice_from_event(event, ["event: new_plan", "region: 广东省揭阳市"])


def test_seed_email_renders_and_is_saved(sqlite_db):
    notice = _seed_notice(sqlite_db)
    message = render_email([notice], to_addr="张老师 <teacher@example.org>", from_addr="eduwatch@alerts.example",
                           message_id=message_id(["e1:s1:email"], "eduwatch@alerts.example"), subscriber_name="jieyang")
    raw = message.as_bytes()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "seed001_email.eml").write_bytes(raw)
    html = message.get_body(("html",)).get_content()
    (OUT / "seed001_email.html").write_text(html, encoding="utf-8")

    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii()  # encoded words, not raw UTF-8, in the headers
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"].startswith("[eduwatch] 新文件: 惠来县人民政府办公室关于印发惠来县“百县千镇万村")
    assert parsed["Message-ID"] == message_id(["e1:s1:email"], "eduwatch@alerts.example")
    plain = parsed.get_body(("plain",)).get_content()
    for expected in ("惠府办函〔2023〕260号", "114452240070359782/2023-00093", "2023-10-12", "2023-11-10",
                     "广东省揭阳市惠来县", "http://www.huilai.gov.cn/gkmlpt/content/", "“乡村教育” in body ×3",
                     "region: 广东省揭阳市", "补齐乡村教育短板"):
        assert expected in plain, expected
        assert expected.replace("“", "&ldquo;") in html or expected in html, expected
    assert "<th" in html and 'href="http://www.huilai.gov.cn/gkmlpt/content/' in html


def test_seed_wecom_parts_fit_and_are_saved(sqlite_db):
    notice = _seed_notice(sqlite_db)
    parts = split_markdown(render_wecom([notice]))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "seed001_wecom.md").write_text("\n\n======== next message ========\n\n".join(parts), encoding="utf-8")
    assert len(parts) > 1 and all(utf8_len(p) <= 4096 for p in parts)
    assert parts[0].startswith(f"(1/{len(parts)})\n## 惠来县人民政府办公室关于印发")
    assert "> 文号: 惠府办函〔2023〕260号" in parts[0]
    assert "[惠来县人民政府](http://www.huilai.gov.cn/gkmlpt/content/" in parts[0]
    assert "补齐乡村教育短板" in "".join(parts)
    assert len(parts) <= 6 and parts[-1].rstrip().endswith("full text at the source)")  # 30,000 characters cut


def test_revision_diff_is_shown_and_sanitised(sqlite_db):
    details = {
        "summary": "第三条：2025年 改为 2026年",
        "html": '到<del style="x">2025</del><ins>2026</ins>年<img src=x onerror=alert(1)><script>bad()</script>&amp;',
    }
    notice = _seed_notice(sqlite_db, "revised", details)
    message = render_email([notice], to_addr="t@example.org", from_addr="e@alerts.example",
                           message_id="<x@alerts.example>", subscriber_name="s")
    html = message.get_body(("html",)).get_content()
    (OUT / "seed001_revision.html").write_text(html, encoding="utf-8")
    assert "到<del>2025</del><ins>2026</ins>年" in html
    assert "<img" not in html and "<script" not in html and "bad()" in html  # text kept, tags gone
    plain = message.get_body(("plain",)).get_content()
    assert "到[-2025-][+2026+]年" in plain and "第三条：2025年 改为 2026年" in plain


def test_portal_text_is_escaped_everywhere(sqlite_db):
    with sqlite_db.transaction() as session:
        portal = add_portal(session)
        document = add_document(session, portal, '<script>alert("x")</script>乡村<@all>', "正文<b>粗</b> [链接](http://evil)")
        notice = notice_from_event(add_event(session, document, portal))
    message = render_email([notice], to_addr="t@example.org", from_addr="e@alerts.example",
                           message_id="<x@alerts.example>", subscriber_name="s")
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;粗" in html
    wecom = render_wecom([notice])
    assert "<@all>" not in wecom and "<script>" not in wecom and "](http://evil)" not in wecom
    for style in (ChatStyle.MARKDOWN, ChatStyle.LARK):
        chat = render_chat([notice], style)
        assert "<@all>" not in chat and "](http://evil)" not in chat and "<font" not in chat


def test_each_chat_style_writes_only_the_markup_its_target_reads(sqlite_db):
    notice = _seed_notice(sqlite_db)
    notice.page_url = "https://eduwatch.example.org/documents/1/diff"
    markdown, lark, text = (render_chat([notice], style) for style in (ChatStyle.MARKDOWN, ChatStyle.LARK, ChatStyle.TEXT))
    assert markdown.startswith("## 惠来县人民政府办公室关于印发") and "> 文号: 惠府办函〔2023〕260号" in markdown
    assert "[在网页上查看](https://eduwatch.example.org/documents/1/diff)" in markdown
    assert lark.startswith("**惠来县人民政府办公室") and "\n文号: 惠府办函〔2023〕260号" in lark and "#" not in lark
    assert "在网页上查看: https://eduwatch.example.org/documents/1/diff" in text
    assert not any(mark in text for mark in ("## ", "**", "](", "> "))
    for style, rendered in (("markdown", markdown), ("lark", lark), ("text", text)):
        (OUT / f"seed001_{style}.md").write_text(rendered, encoding="utf-8")


def test_sanitizer_closes_what_it_opens():
    assert sanitize_diff_html("<ins>a<del>b</ins>c") == "<ins>a<del>b</del></ins>c"


def test_every_event_kind_has_a_label():
    assert set(KIND_LABELS) == set(EVENT_KINDS)
