"""Character-level diffs on the real 桓台 plan (seed 000): renderings and summaries, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.changes.diffing import diff_texts, find_headings
from monitor.changes.textnorm import clean_text

SEED = clean_text((Path(__file__).parent.parent / "fixtures" / "seed_000_huantai.txt").read_text(encoding="utf-8"))
SENTENCE = "持续推进强校扩优行动，指导城区优质学校与乡村学校结对共建，实施捆绑评价制度，科学有效扩大优质教育资源，到2025年实现结对全覆盖。"


def test_seed_contains_the_sentence_we_edit() -> None:
    assert SEED.count(SENTENCE) == 1


def test_one_number_changed_in_one_sentence() -> None:
    new = SEED.replace("到2025年实现结对全覆盖", "到2026年实现结对全覆盖")
    diff = diff_texts(SEED, new)
    assert diff.changed
    assert diff.summary() == "二、主要任务（六）实施城乡教育协同发展行动：到2025年实现结对全覆盖 → 到2026年实现结对全覆盖"
    assert diff.text(60) == (
        "持续推进强校扩优行动，指导城区优质学校与乡村学校结对共建，实施捆绑评价制度，"
        "科学有效扩大优质教育资源，到202【-5】【+6】年实现结对全覆盖。"
    )
    assert diff.html(60) == (
        "持续推进强校扩优行动，指导城区优质学校与乡村学校结对共建，实施捆绑评价制度，"
        "科学有效扩大优质教育资源，到202<del>5</del><ins>6</ins>年实现结对全覆盖。"
    )
    # The whole-text renderings are the new text with the marks in place, nothing else.
    assert diff.text() == new.replace("到2026年实现结对全覆盖", "到202【-5】【+6】年实现结对全覆盖")
    html = diff.html()
    assert html.count("<br>\n") == new.count("\n")
    assert html.replace("<br>\n", "\n") == new.replace("到2026年实现结对全覆盖", "到202<del>5</del><ins>6</ins>年实现结对全覆盖")


def test_short_context_cuts_the_sentence_with_an_ellipsis() -> None:
    new = SEED.replace("到2025年实现结对全覆盖", "到2026年实现结对全覆盖")
    assert diff_texts(SEED, new).text(10) == "…质教育资源，到202【-5】【+6】年实现结对全覆盖。"


def test_inserted_clause_deleted_paragraph_and_a_count_of_further_edits() -> None:
    new = SEED.replace("到2025年实现结对全覆盖。", "到2025年实现结对全覆盖，到2026年实现深度融合。")
    new = new.replace("组建特色学校社团", "组建3个特色学校社团")
    new = new.replace("（一）加强组织领导。建立工作推进机制，确定重点项目清单，", "")
    diff = diff_texts(SEED, new)
    assert [change.describe() for change in diff.changes()] == [
        "二、主要任务（六）实施城乡教育协同发展行动：到2025年实现结对全覆盖 → 到2025年实现结对全覆盖，到2026年实现深度融合",
        "二、主要任务（八）打造乡村学校办学特色：组建特色学校社团 → 组建3个特色学校社团",
        "三、组织保障：删除“（一）加强组织领导。建立工作推进机制，确定重点项目清单”",
    ]
    assert diff.summary() == (
        "二、主要任务（六）实施城乡教育协同发展行动：到2025年实现结对全覆盖 → "
        "到2025年实现结对全覆盖，到2026年实现深度融合（另有2处修改）"
    )
    assert diff.text(20).split("\n……\n") == [
        "…优质教育资源，到2025年实现结对全覆盖【+，到2026年实现深度融合】。",
        "…“湖区文化”等地域特色文化教育资源，组建【+3个】特色学校社团，打造乡村学校特色精品示范课…",
        "【-（一）加强组织领导。建立工作推进机制，确定重点项目清单，】县委教育工作领导小组进行统筹协调，县教育…",
    ]


def test_a_whole_new_paragraph_is_reported_as_added_under_its_parent_heading() -> None:
    paragraph = "（十一）加强乡村学校安全管理。"
    new = SEED.replace("三、组织保障\n", paragraph + "\n三、组织保障\n")
    assert diff_texts(SEED, new).summary() == "二、主要任务：新增“（十一）加强乡村学校安全管理”"


def test_html_escapes_the_text() -> None:
    diff = diff_texts("附件<1>：A&B", "附件<2>：A&B")
    assert diff.html() == "附件&lt;<del>1</del><ins>2</ins>&gt;：A&amp;B"
    assert diff.text() == "附件<【-1】【+2】>：A&B"


def test_equal_texts() -> None:
    diff = diff_texts(SEED, SEED)
    assert not diff.changed
    assert diff.changes() == [] and diff.summary() == "无实质变化" and diff.text(60) == ""


def test_headings_of_the_seed() -> None:
    labels = [(h.level, h.label) for h in find_headings(SEED)]
    assert labels[:3] == [(1, "一、工作目标"), (1, "二、主要任务"), (2, "（一）持续实施乡村全环境立德树人工程")]
    assert (2, "（三）实施乡村学校办学条件提档升级行动") in labels
    assert labels[-4:] == [(1, "三、组织保障"), (2, "（一）加强组织领导"), (2, "（二）定期调度总结"), (2, "（三）强化督导评价")]
    assert all(not label.startswith("2023") for _, label in labels)


@pytest.mark.parametrize(
    ("old", "new", "summary"),
    [
        ("第一条 学校应当配备校车。\n第二条 每校配备3名教师。", "第一条 学校应当配备校车。\n第二条 每校配备5名教师。",
         "第二条：每校配备3名教师 → 每校配备5名教师"),
        ("1. 总体要求\n2. 组建3个教育集团，覆盖全部乡镇。", "1. 总体要求\n2. 组建5个教育集团，覆盖全部乡镇。",
         "2. 组建3个教育集团 → 2. 组建5个教育集团"),
    ],
)
def test_other_heading_styles(old: str, new: str, summary: str) -> None:
    assert diff_texts(old, new).summary() == summary


def test_an_edit_in_an_appendix_table_is_located_by_its_row() -> None:
    """Seed 001 ends with 附件 and a task table, one cell per line, rows led by their 序号."""
    plan = clean_text((Path(__file__).parent.parent / "fixtures" / "seed_001_huilai.txt").read_text(encoding="utf-8"))
    phrase = "至少建设1个市级以上优质特色教育集团"
    edited = phrase.replace("1个", "2个")
    in_table = plan.rindex(phrase)
    in_body = plan.index(phrase)
    assert in_body < in_table
    table_edit = plan[:in_table] + edited + plan[in_table + len(phrase):]
    body_edit = plan[:in_body] + edited + plan[in_body + len(phrase):]
    assert diff_texts(plan, table_edit).summary() == f"附件 第14项：{phrase} → {edited}"
    assert diff_texts(plan, body_edit).summary() == (
        f"二、主要任务(三)实施教育改革提质工程,提高管理水…14.推进集团化办学模式：{phrase} → {edited}"
    )


def test_attachment_headers_start_a_new_outline() -> None:
    old = "一、总体要求\n正文。\n【附件：学校名单.docx】\n附件1\n1\n甲小学\n2\n乙小学"
    new = old.replace("乙小学", "丙小学")
    assert diff_texts(old, new).summary() == "学校名单.docx 附件1 第2项：乙小学 → 丙小学"
