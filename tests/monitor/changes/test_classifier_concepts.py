"""The classifier on the guide's concepts: themes in wording no phrase lists, negatives, genres,
and the honest figure — the held-out test part of the corpus."""

from __future__ import annotations

import pytest

from monitor.changes.classifier import ClassifiableDocument, classify, rules
from monitor.changes.classifier.corpus import SPLITS, bundled_corpus
from monitor.changes.classifier.evaluate import evaluate

PARTS = bundled_corpus()
ALL = [entry for part in PARTS.values() for entry in part]
SECTIONS = "一、工作目标。{0}二、主要任务。{1}三、保障措施。{2}"


def plan(title: str, *paragraphs: str) -> ClassifiableDocument:
    return ClassifiableDocument(title=title, body=SECTIONS.format(*paragraphs))


# --- the corpus --------------------------------------------------------------------------------


def test_corpus_has_three_parts_five_families_and_a_third_borderline() -> None:
    assert len(ALL) >= 300
    assert {entry["family"] for entry in ALL} == {"gkmlpt", "hanweb", "trs", "govcn", "generic"}
    assert sum(bool(entry.get("borderline")) for entry in ALL) * 3 >= len(ALL)
    assert all(entry.get("url", "").startswith("http") for entry in ALL)
    ids = [entry["id"] for entry in ALL]
    assert len(ids) == len(set(ids))
    for name in SPLITS:
        assert PARTS[name] and all(entry["split"] == name for entry in PARTS[name])


def test_the_held_out_test_part_meets_precision_and_recall_095() -> None:
    """Written and labelled before the rules were rebuilt, and never tuned on."""
    report = evaluate(PARTS["test"], "test")
    assert report.documents >= 100
    assert report.precision >= 0.95, report.errors
    assert report.recall >= 0.95, report.errors


@pytest.mark.parametrize("part", ["dev", "train"])
def test_train_and_dev_parts_meet_precision_and_recall_095(part: str) -> None:
    report = evaluate(PARTS[part], part)
    assert report.precision >= 0.95 and report.recall >= 0.95, report.errors


# --- themes in compositional wording (no phrase of rules.SUBJECT_PHRASES is used) -------------

THEMES = {
    "rural education revitalisation": plan(
        "某县教育服务乡村振兴三年行动方案",
        "到2026年山区中小学办学质量明显提升。", "改善偏远乡镇初中条件；村级幼儿园全覆盖；镇域中小学统一管理。",
        "山区中小学经费优先保障。"),
    "urban–rural integration": plan(
        "某县推进城乡一体办学改革实施意见",
        "城乡办学标准统一。", "城乡中小学统一编制标准；城乡初中统一装备；镇村幼儿园统一管理。",
        "城乡办学经费同步增长。"),
    "township and village schools": plan(
        "某县镇村学校布局优化和质量提升方案",
        "保留必要的镇村学校。", "撤并生源萎缩的村级学校；改善乡镇初中寄宿条件；镇域幼儿园扩容。",
        "乡镇初中和镇村学校经费单列。"),
    "weak schools": plan(
        "某县山区中小学办学条件改造提升计划",
        "三年改造山区中小学40所。", "山区中小学校舍加固；偏远乡镇初中宿舍改造；镇域幼儿园设备配齐。",
        "山区中小学改造资金优先安排。"),
    "rural teachers": plan(
        "某县镇村教师补充和待遇保障办法",
        "镇村教师足额配备。", "镇村教师每月发放补助；偏远乡镇校长任期交流；山区教师职称单列。",
        "镇村教师周转住房优先保障。"),
    "rural pupils": plan(
        "某县偏远乡镇小学生上学保障办法",
        "偏远乡镇小学生全部就近入学。", "山区小学生免费乘车；乡镇小学开设午餐；镇村幼儿园减免保教费。",
        "偏远乡镇小学经费按人数加拨。"),
}


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_each_theme_in_compositional_wording_is_a_rural_plan(theme: str) -> None:
    document = THEMES[theme]
    text = document.title + document.body
    assert not [phrase for phrase in rules.SUBJECT_PHRASES if phrase in text], "wording must be compositional"
    result = classify(document)
    assert result.is_rural_plan, (result.subject_score, result.evidence)
    assert any("…" in e.phrase and e.field == "body" and e.at for e in result.evidence)  # pairs, with positions


def test_the_guide_examples_of_compositional_phrasing() -> None:
    for title in ("某县乡镇中心学校办学水平提升行动方案", "某县镇村学校布局专项规划"):
        result = classify(plan(title, "乡镇初中和村级小学提升。", "镇村学校标准化建设。", "镇域学校统一管理。"))
        assert result.is_rural_plan, title


def test_a_pair_split_by_a_clause_or_a_different_school_is_no_evidence() -> None:
    result = classify(ClassifiableDocument(title="", body="各镇人民政府，县直各学校：村级老年学校开课。城镇学校扩容。"))
    assert not [e for e in result.evidence if "…" in e.phrase]


# --- negative themes ---------------------------------------------------------------------------

NEGATIVES = {
    "rural governance": plan("某县推进乡村治理体系建设实施方案", "村民自治完善。", "农村党组织建设；乡村法治建设；文明村镇创建。", "纳入乡镇考核。"),
    "rural sewage": plan("某县农村生活污水治理三年行动方案", "治理率达到70%。", "建设处理设施；改造户厕；建立运维机制。", "统筹乡村振兴资金。"),
    "farmland": plan("某县高标准农田建设实施方案", "新建农田3万亩。", "土地平整；灌溉排水；田间道路。", "乡村两级管护。"),
    "poverty relapse without schools": plan("某县防止返贫动态监测和帮扶实施方案", "守住底线。", "产业帮扶；就业帮扶；健康帮扶；兜底保障。", "乡镇每月排查。"),
    "college entrance exam": plan("某县普通高考考务工作方案", "考试平稳。", "设置考点；保密管理；考场监控。", "部门协同保障。"),
    "senior-school admissions": plan("某县中考招生工作实施方案", "招生计划5200人。", "考试科目；录取办法；指标生分配到乡镇初中。", "严禁违规招生。"),
    "school food safety": plan("某县学校食品安全管理办法", "保障饮食安全。", "食堂校长负责；食材查验；陪餐制度。", "联合检查。"),
    "urban school places": plan("某县城区中小学学位建设三年行动计划", "新增学位1.2万个。", "新建城区小学4所；改扩建初中2所。", "用地优先保障。"),
    "teacher recruitment alone": plan("某县公开招聘中小学教师实施方案", "招聘60名。", "报名；笔试；面试；考察；体检。", "试用期一年。"),
}


@pytest.mark.parametrize("theme", sorted(NEGATIVES))
def test_negative_themes_are_plans_but_not_rural_education(theme: str) -> None:
    result = classify(NEGATIVES[theme])
    assert result.genre in rules.GENRE_FACTORS
    assert result.subject_score < rules.SUBJECT_THRESHOLD and not result.is_rural_plan


# --- genre rules -------------------------------------------------------------------------------

RURAL = "到2026年乡村学校办学条件全面改善，乡村教师队伍素质全面提升，城乡学校结对帮扶全覆盖，村小和教学点开齐开足课程。"


@pytest.mark.parametrize(
    "title, body, genre, is_plan, draft",
    [
        ("某县乡村学校提质行动方案", RURAL, "plan", True, False),
        ("关于印发《某县乡村学校提质行动方案》的通知", RURAL, "notice-issuing-plan", True, False),
        ("某县乡村学校提质行动方案（征求意见稿）", RURAL, "plan", True, True),
        ("关于公开征求《某县乡村学校提质行动方案（征求意见稿）》意见的公告", RURAL, "consultation-on-draft", True, True),
        ("某县出台十条措施办好乡村学校", RURAL, "news-reporting-plan", True, False),
        ("乡村学校办学有了新标准", "近日，县政府办公室印发《某县乡村学校提质行动方案》。" + RURAL, "news-reporting-plan", True, False),
        ("乡村学校办学有了新标准", "据了解，县教育局已印发乡村学校提质行动方案。" + RURAL, "news-reporting-plan", True, False),
        ("乡村学校新学期见闻", "根据省教育厅印发的《乡村学校提质行动方案》要求，" + RURAL, "not-plan:未见方案", False, False),
        ("《某县乡村学校提质行动方案》政策解读", RURAL, "not-plan:解读", False, False),
        ("一图读懂某县乡村学校提质行动方案", RURAL, "not-plan:一图读懂", False, False),
        ("某县举行城乡学校结对帮扶签约仪式", "县政府印发《某县乡村学校提质行动方案》。" + RURAL, "not-plan:新闻", False, False),
        ("县领导到乡村学校调研", RURAL, "not-plan:新闻", False, False),
        ("关于《某县乡村学校提质行动方案（征求意见稿）》意见采纳情况的说明", RURAL, "not-plan:说明", False, False),
    ],
)
def test_genre_rules(title: str, body: str, genre: str, is_plan: bool, draft: bool) -> None:
    result = classify(ClassifiableDocument(title=title, body=body * 2))
    assert (result.genre, result.is_rural_plan, result.draft) == (genre, is_plan, draft), result.evidence


def test_news_reporting_evidence_says_what_was_reported_and_where() -> None:
    body = "近日，县政府办公室印发《某县乡村学校提质行动方案》。" + RURAL
    result = classify(ClassifiableDocument(title="乡村学校办学有了新标准", body=body))
    [genre] = [e for e in result.evidence if e.phrase.startswith("genre:")]
    assert genre.phrase == "genre:报道印发《某县乡村学校提质行动方案》" and genre.field == "body" and genre.at == (9,)
