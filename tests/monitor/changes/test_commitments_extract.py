"""The commitments extractor, form by form: numbers, deadlines, scopes, headings, lead units."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.changes.commitments import Commitment, extract
from monitor.changes.commitments.deadlines import find_deadlines
from monitor.changes.commitments.numbers import chinese_number, normalise_digits, quantities

WRITTEN = date(2023, 4, 28)


def one(text: str, written: date | None = WRITTEN) -> Commitment:
    found = extract(text, written)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("written", "value", "unit", "low_high"), [
    ("建设3所学校", 3, "所", None),
    ("新增学位一万二千个", 12000, "个", None),
    ("招聘教师两百名", 200, "名", None),
    ("认定十所以上", 10, "所", None),
    ("改扩建一百二十所", 120, "所", None),
    ("达到百分之九十五", 95, "%", None),
    ("达到５０％以上", 50, "%", None),
    ("校舍８．６万平方米", 86000, "平方米", None),
    ("投入3.2亿元", 3.2, "亿元", None),
    ("安排500万元", 500, "万元", None),
    ("选派10-20人", 10, "人", 20),
    ("提高5个百分点", 5, "个百分点", None),
    ("达xx%以上", None, "%", None),
])
def test_number_forms(written: str, value: float | None, unit: str, low_high: float | None) -> None:
    (quantity,) = quantities(normalise_digits(written))
    assert (quantity.value, quantity.unit, quantity.value_max) == (value, unit, low_high)


def test_chinese_numerals_and_years() -> None:
    assert [chinese_number(t) for t in ("一万二千", "二十八", "两百", "十", "二〇二五")] == [12000, 28, 200, 10, 2025]
    assert quantities("任教3年以上") == [], "years are never a target's unit"


@pytest.mark.parametrize(("text", "deadline"), [
    ("到2025年，建成城乡教育共同体3个。", date(2025, 12, 31)),
    ("2025年底前，建成城乡教育共同体3个。", date(2025, 12, 31)),
    ("2025年6月底前，建成城乡教育共同体3个。", date(2025, 6, 30)),
    ("2024年秋季开学前，建成城乡教育共同体3个。", date(2024, 8, 31)),
    ("三年内建成城乡教育共同体3个。", date(2026, 4, 28)),
    ("用两年时间，建成城乡教育共同体3个。", date(2025, 4, 28)),
    ("年底前建成城乡教育共同体3个。", date(2023, 12, 31)),
    ("“十四五”期间，建成城乡教育共同体3个。", date(2025, 12, 31)),
    ("力争2024年建成城乡教育共同体3个。", date(2024, 12, 31)),
    ("到二〇二六年，建成城乡教育共同体3个。", date(2026, 12, 31)),
    ("到２０２７年，建成城乡教育共同体３个。", date(2027, 12, 31)),
])
def test_deadline_forms(text: str, deadline: date) -> None:
    item = one(text)
    assert (item.deadline, item.target, item.indicator) == (deadline, 3, "建成城乡教育共同体")


def test_relative_deadline_without_written_date_is_undated() -> None:
    assert one("三年内建成城乡教育共同体3个。", written=None).deadline is None


@pytest.mark.parametrize("text", [
    "（2023—2025年）", "《某某方案(2022-2024年)》", "从2023年起", "全面完成2021年度培训任务", "2023年9月18日",
    "2023年4月，某县出台方案", "启动阶段（2021年12月-2022年2月）",
])
def test_years_that_are_no_deadline(text: str) -> None:
    assert find_deadlines(text, WRITTEN) == []


def test_recurring_targets_keep_their_frequency_and_no_date() -> None:
    item = one("每年招聘特岗教师不少于200名。")
    assert (item.recurring, item.deadline, item.target, item.comparison) == ("每年", None, 200, "at_least")
    first, second = extract("城镇学校每年教师交流轮岗比例不低于15%，其中骨干教师不低于交流总数的20%。", WRITTEN)
    assert (first.recurring, second.recurring, second.target) == ("每年", "每年", 20), "其中 shares the frequency"


@pytest.mark.parametrize(("text", "comparison", "target", "target_max"), [
    ("每个镇至少建成1所寄宿制学校。", "at_least", 1, None),
    ("巩固率保持在98%以上。", "at_least", 98, None),
    ("教师培训不少于72学时。", "at_least", 72, None),
    ("每间宿舍居住学生不超过8人。", "at_most", 8, None),
    ("班额控制在45人以内。", "at_most", 45, None),
    ("差异率低于15%。", "less_than", 15, None),
    ("达标率高于95%。", "more_than", 95, None),
    ("每年选派80人左右赴乡村支教。", "about", 80, None),
    ("每年选派10-20人到乡镇学校挂职。", "range", 10, 20),
    ("多媒体教室通网率达到100%。", "equal", 100, None),
    ("实现城乡学校结对全覆盖。", "equal", 100, None),
    ("确保失学辍学学生动态清零。", "equal", 0, None),
])
def test_comparison_forms(text: str, comparison: str, target: float, target_max: float | None) -> None:
    item = one(text)
    assert (item.comparison, item.target, item.target_max) == (comparison, target, target_max)


def test_a_dated_goal_without_a_number_is_a_commitment() -> None:
    item = one("到2035年，乡村教育现代化全面实现。")
    assert (item.deadline, item.target, item.unit, item.indicator) == (date(2035, 12, 31), None, None, "乡村教育现代化全面实现")


def test_a_completion_at_the_end_dates_the_sentence_instead_of_adding_a_goal() -> None:
    item = one("按照每100名寄宿生配备1名生活老师的标准配齐生活管理人员，2024年秋季学期前全部到位。")
    assert (item.target, item.deadline, item.indicator) == (1, date(2024, 8, 31), "配备生活老师的标准配齐生活管理人员")


@pytest.mark.parametrize(("text", "scope"), [
    ("每个乡镇至少建成1所公办中心幼儿园。", "每个乡镇"),
    ("每个乡镇（街道）至少建成1所少年宫。", "每个乡镇（街道）"),
    ("每所城区学校至少结对帮扶2所乡村学校。", "每所城区学校"),
    ("县域内45周岁以下乡村校长达到50%以上。", "县域内"),
    ("全县义务教育巩固率达到96%。", "全县"),
    ("全市建成标准化寄宿制学校25所。", "全市"),
    ("各县市(区)至少建成1所试点学校。", "各县市(区)"),
])
def test_scope_forms(text: str, scope: str) -> None:
    assert one(text).scope == scope


@pytest.mark.parametrize("text", [
    "将到乡村学校任教3年以上作为选任校长的优先条件。",
    "在同一所学校连续任职满两届的校长原则上应当交流。",
    "对生源不足10人的教学点稳妥撤并。",
    "全县现有乡村小规模学校86所。",
    "建好办好“三所学校”，落实“一校一案”。",
    "加强组织领导，推进县管校聘。",
    "交流期限一般不少于3年，支教期限不少于1年。",
])
def test_no_commitment(text: str) -> None:
    assert extract(text, WRITTEN) == []


def test_section_headings_of_every_style() -> None:
    text = "\n".join([
        "一、工作目标", "到2025年，建成共同体3个。",
        "二、主要任务", "（一）优化布局", "1.建设寄宿制学校。每个镇至少建成1所寄宿制学校。",
        "（二）实施乡村校长选优培强行动。到2027年，乡村校长达到50%以上。",
        "第三章 待遇", "第六条 乡村教师生活补助每人每月不低于500元。",
    ])
    assert [c.section for c in extract(text, WRITTEN)] == [
        "一、工作目标", "1.建设寄宿制学校", "（二）实施乡村校长选优培强行动", "第六条",
    ]


def test_lead_and_partner_units_in_each_form() -> None:
    text = "\n".join([
        "（一）改善条件。新增学位1200个。（县教育局牵头，县财政局、县人社局配合）",
        "（二）配齐教师。补充教师50名。〔县教育体育局（县委教育工委）牵头，团县委按职责分工负责〕",
        "（三）加强管理。陪餐率达到100%。（责任单位：县教科体局安全股）",
        "（四）建设宿舍。新建宿舍300套。",
        "牵头单位：县教育局；配合单位：县住房城乡建设局",
        "（五）推进集团化。到2024年建成3个教育集团。（牵头领导：张三；牵头部门：人事股；配合部门：基教股、县教师发展中心）",
        "（六）共同体。由城区优质学校牵头，组建城乡学校共同体5个。",
    ])
    assert [(c.lead, c.partners) for c in extract(text, WRITTEN)] == [
        ("县教育局", ("县财政局", "县人社局")),
        ("县教育体育局（县委教育工委）", ("团县委",)),
        ("县教科体局安全股", ()),
        ("县教育局", ("县住房城乡建设局",)),
        ("人事股", ("基教股", "县教师发展中心")),
        (None, ()),
    ]


def test_task_table_cells() -> None:
    text = "\n".join(["序号", "重点任务", "目标要求", "牵头单位", "配合单位", "完成时限",
                      "1", "教师补充", "招聘乡村教师320名，其中公费定向师范生不少于80名", "县教育局", "县人社局", "2024年8月底前"])
    first, second = extract(text, WRITTEN)
    assert (first.section, first.lead, first.partners, first.deadline) == ("教师补充", "县教育局", ("县人社局",), date(2024, 8, 31))
    assert (second.target, second.comparison, second.deadline) == (80, "at_least", date(2024, 8, 31))


def test_an_attachment_only_plan() -> None:
    body = "现将《某县寄宿制学校提升方案》印发给你们，请认真贯彻执行。\n附件：某县寄宿制学校提升方案.docx"
    attachment = "【附件：某县寄宿制学校提升方案.docx】\n一、工作目标\n到2024年底，全县寄宿制学校标准化食堂覆盖率达到100%。"
    assert extract(body, WRITTEN) == []
    (item,) = extract(body + "\n" + attachment, WRITTEN)
    assert (item.section, item.target, item.deadline, item.scope) == ("一、工作目标", 100, date(2024, 12, 31), "全县")


def test_a_commitment_stated_twice_is_kept_once_where_stated_last() -> None:
    text = "青岛提出优质学校与乡村薄弱学校结对率100%\n（一）结对帮扶\n城区优质学校与乡村薄弱学校结对率达到100%。"
    (item,) = extract(text, WRITTEN)
    assert item.section == "（一）结对帮扶"
