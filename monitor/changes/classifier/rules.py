"""Every phrase, weight and threshold of the rural-education-plan classifier, in one place.

Why one module: the classifier's judgement must be reviewable by someone who reads Chinese
government documents, not code. Everything the classifier decides is driven by the tables
below; classify.py only applies them. Bump RULES_VERSION whenever anything here changes, so
`reclassify` knows which stored classifications are stale.

The definition being implemented (from the issue): a document is a rural-education plan when
(a) its MAIN subject is rural education or urban–rural education balance, and
(b) it IS a plan (方案, 计划, 规划, 意见, 办法, 措施, a 通知 issuing one, or a news page
reproducing one in full) — not a 公告/公示/招标/总结/调研报告/解读 or news about an event.
"""

from __future__ import annotations

RULES_VERSION = "2026.11.22-2"

# --- (a) subject -------------------------------------------------------------------------

# Subject phrases and their weight. Matching is leftmost-longest and non-overlapping, so a
# long phrase (乡村教育振兴) is counted once as itself and not again as 乡村教育.
SUBJECT_PHRASES: dict[str, float] = {
    # rural education in rural revitalisation
    "乡村教育振兴": 4.0,
    "百县千镇万村": 1.5,  # general Guangdong programme; counts for education only with support
    "乡村教育": 2.5,
    "农村教育": 2.5,
    "乡镇教育": 2.0,
    "强镇筑基": 2.5,  # Shandong's township-school programme (教育强镇筑基行动)
    # rural and township schools and kindergartens
    "乡村学校": 2.5,
    "农村学校": 2.5,
    "乡镇学校": 2.0,
    "乡村小学": 2.0,
    "农村小学": 2.0,
    "乡村薄弱学校": 3.0,
    "农村薄弱学校": 3.0,
    "乡镇寄宿制学校": 3.5,
    "寄宿制学校": 1.5,
    "小规模学校": 3.0,
    "乡村小规模学校": 3.0,  # listed so that 乡村小 is not read first and 小规模学校 lost
    "农村小规模学校": 3.0,
    "教学点": 2.0,
    "乡镇中心幼儿园": 3.0,
    "乡镇中心园": 2.5,
    "乡村幼儿园": 2.5,
    "农村幼儿园": 2.5,
    "农村义务教育": 2.0,
    "农村学前教育": 2.0,
    # rural teachers
    "乡村教师": 2.5,
    "农村教师": 2.5,
    "乡村校长": 2.0,
    "乡村骨干教师": 3.0,
    "特岗计划": 1.0,
    "乡村教师生活补助": 3.0,
    # urban–rural integration and county-wide balance
    "城乡义务教育一体化": 4.0,
    "城乡教育一体化": 3.5,
    "县域义务教育优质均衡": 4.0,
    "县域内义务教育": 2.0,
    "县域义务教育": 2.0,
    "义务教育优质均衡": 2.5,
    "优质均衡": 1.5,
    "城乡教育共同体": 4.0,
    "城乡学校共同体": 4.0,
    "城乡学校结对帮扶": 4.0,
    "城乡教育": 2.0,
    "城乡学校": 2.0,
    "结对帮扶": 0.8,
    "以城带乡": 2.0,
}

# A title naming a rural place-word AND an education word is about rural education even when
# it uses none of the phrases above ("乡村振兴教育优质均衡工程", "乡村薄弱学校结对率").
TITLE_RURAL_WORDS: tuple[str, ...] = ("乡村", "农村", "乡镇", "城乡", "百县千镇万村", "镇村", "村小", "山区")
TITLE_EDUCATION_WORDS: tuple[str, ...] = (
    "教育", "学校", "教师", "幼儿园", "校长", "教学点", "学前", "义务教育", "办学", "师资",
)
TITLE_COMPOUND_WEIGHT = 3.0

TITLE_FACTOR = 2.0  # a phrase in the title weighs this many times its table weight
TITLE_CAP = 10.0  # title evidence never exceeds this

# Body: per-phrase DENSITY (hits per 1,000 characters), capped, times the weight. A long
# general plan with one paragraph on schools therefore scores low however long it is.
DENSITY_CAP = 2.0  # hits per 1,000 characters counted at most, per phrase
MIN_KCHARS = 1.5  # short texts are treated as at least this many thousand characters
BODY_FACTOR = 1.0
BODY_CAP = 12.0
# Main subject means spread over the document, not one dense paragraph: the text is cut into
# windows of SPREAD_WINDOW characters and the body score is scaled by
# SPREAD_FLOOR + (1 - SPREAD_FLOOR) * (share of windows holding at least one subject phrase).
SPREAD_WINDOW = 500
SPREAD_FLOOR = 0.3

METADATA_FACTOR = 1.0  # subject phrases in 主题词/分类/发布机构, each counted once
METADATA_CAP = 4.0
EDUCATION_PUBLISHER_WORDS: tuple[str, ...] = ("教育局", "教体局", "教育和体育局", "教育体育局", "教育厅", "教育委员会")
EDUCATION_PUBLISHER_WEIGHT = 0.5

SUBJECT_THRESHOLD = 10.0  # subject_score at which the main subject counts as rural education

# --- (b) genre ---------------------------------------------------------------------------

# Words that make a title a plan when the title ends with them (after dates, 试行, 征求意见稿,
# closing quotes and a trailing 〔文号〕).
PLAN_WORDS: tuple[str, ...] = (
    "实施方案", "工作方案", "行动方案", "方案", "行动计划", "计划", "规划", "纲要",
    "实施意见", "指导意见", "意见", "实施办法", "管理办法", "办法", "措施", "实施细则", "细则",
)

# A 通知 that issues or forwards a document: the issued document's name decides the genre.
ISSUING_VERBS: tuple[str, ...] = ("印发", "转发", "下发", "颁发", "发布")

# Strong negatives anywhere in the title (or in the name of the document a 通知 issues): the
# page is not a plan whatever its subject. Each maps to the genre tag "not-plan:<word>"; the
# first word listed that occurs is the one reported.
NOT_PLAN_TITLE_WORDS: tuple[str, ...] = (
    "中标", "成交", "公示", "公告", "总结", "解读", "答记者问", "一图读懂", "图解", "问答",
    "述职", "简章", "通报",
)
# Negatives unless the title ENDS with a plan word: 乡村教师招聘公告 is not a plan, but
# 乡村教师招聘工作实施方案 is; 督导评估结果 is not, 评估结果运用办法 is.
NOT_PLAN_UNLESS_PLAN_TITLE_WORDS: tuple[str, ...] = (
    "招标", "采购", "磋商", "比选", "询价", "招聘", "遴选", "选调", "名单", "结果", "报告",
    "情况说明",
)
# News about an event: the page is not a plan unless its body reproduces one in full.
NEWS_EVENT_TITLE_WORDS: tuple[str, ...] = (
    "签约", "仪式", "举行", "举办", "召开", "开幕", "闭幕", "启动会", "座谈", "观摩", "调研",
    "走访", "慰问", "看望", "揭牌", "表彰", "获评", "荣获", "喜报", "侧记", "纪实", "掠影",
    "快讯", "简报", "走进", "参加", "出席", "会议", "活动", "开班", "培训班", "送教",
)

# A body reproduces a plan in full when it is long, has at least this many 一、二、三、 sections
# and at least this many distinct plan-section markers, and names a plan.
BODY_PLAN_MIN_CHARS = 600
BODY_PLAN_MIN_SECTIONS = 3
BODY_PLAN_MIN_MARKERS = 2
BODY_PLAN_MARKERS: tuple[str, ...] = (
    "指导思想", "总体要求", "基本原则", "工作目标", "主要目标", "目标任务", "目标要求",
    "主要任务", "重点任务", "工作任务", "工作措施", "主要措施", "实施步骤", "进度安排",
    "保障措施", "组织保障", "组织领导", "工作要求",
)

# score = min(1, subject_score / (2 * SUBJECT_THRESHOLD)) * genre factor; yes when score >= 0.5,
# which for a plan genre is exactly subject_score >= SUBJECT_THRESHOLD.
GENRE_FACTORS: dict[str, float] = {
    "plan": 1.0,
    "notice-issuing-plan": 1.0,
    "news-reproducing-plan": 1.0,
    "notice-reproducing-plan": 1.0,
}
NOT_PLAN_FACTOR = 0.4
SCORE_YES = 0.5
