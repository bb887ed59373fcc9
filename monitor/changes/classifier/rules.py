"""Every word, weight and threshold of the rural-education-plan classifier, in one place.

Why one module: the judgement must be reviewable by someone who reads Chinese government
documents, not code. The tables below follow the labelling guide (../shared/notes/plans.md):
(a) subject — rural education or the urban–rural gap in education is the MAIN subject, said by a
    fixed theme phrase OR compositionally (a rural place word near an education object);
(b) genre — a plan, a 通知 issuing one, a draft, or a news page reporting/reproducing one; not a
    公告/公示/招标/总结/解读 or news about an event.
The classifier modules (subject.py, genre.py, classify.py) only apply these tables. Bump
RULES_VERSION whenever anything here changes, so `reclassify` knows stored verdicts are stale.
Tuned on the train/dev parts of the corpus only; the test part is reported, never tuned on.
"""

from __future__ import annotations

RULES_VERSION = "2026.11.23-1"

# --- (a) subject: fixed theme phrases --------------------------------------------------------
# Weight = how surely the phrase alone says "rural education": 4 = the theme's own name, 3 = a
# programme that exists only for rural schools/teachers/pupils, 2 = usually rural in a county
# document, 1 = also used in urban or general contexts (needs other evidence), <1 = a hint.
# Matching is leftmost-longest and non-overlapping: 乡村教育振兴 is counted once, not again as
# 乡村教育; compositional matches (below) never reuse characters a phrase already took.
SUBJECT_PHRASES: dict[str, float] = {
    # theme: rural education revitalisation
    "乡村教育振兴": 4.0,  # the theme's name
    "百县千镇万村": 1.5,  # Guangdong's general programme: education only with support
    "乡村教育": 2.5,
    "农村教育": 2.5,
    "乡镇教育": 2.0,
    "强镇筑基": 2.5,  # Shandong's township-school programme (教育强镇筑基行动)
    # theme: township and village schools
    "乡村学校": 2.5,
    "农村学校": 2.5,
    "乡镇学校": 2.0,
    "乡村小学": 2.0,
    "农村小学": 2.0,
    "乡村薄弱学校": 3.0,
    "农村薄弱学校": 3.0,
    "乡镇寄宿制学校": 3.5,
    "寄宿制学校": 1.5,  # mostly township schools, but cities have boarding schools too
    "小规模学校": 3.0,  # by definition village schools under 100 pupils
    "乡村小规模学校": 3.0,  # listed so that 乡村小 is not read first and 小规模学校 lost
    "农村小规模学校": 3.0,
    "两类学校": 3.0,  # the national name for 小规模学校 + 乡镇寄宿制学校
    "三所学校": 2.0,  # Guangdong: each town's 中心幼儿园, 中心小学, 寄宿制学校
    "教学点": 2.0,
    "村小": 2.5,  # a village primary school; nothing urban is called so
    "乡镇中心学校": 3.0,
    "中心学校": 1.0,  # a town's central school, but also a name part elsewhere
    "中心小学": 1.0,  # same
    "乡镇中心幼儿园": 3.0,
    "乡镇中心园": 2.5,
    "乡村幼儿园": 2.5,
    "农村幼儿园": 2.5,
    "农村义务教育": 2.0,
    "农村学前教育": 2.0,
    # theme: weak schools — in county documents overwhelmingly rural, even without 乡村
    "薄弱学校": 3.0,
    "全面改薄": 3.0,
    "改薄": 2.0,  # the short name; also inside 全面改薄 (longest wins there)
    "薄弱环节改善": 3.0,  # 义务教育薄弱环节改善与能力提升
    "弱校": 2.0,  # 强校带弱校, 以强带弱: the pairing of town and village schools
    # theme: rural teachers and teacher allocation between town and country
    "乡村教师": 2.5,
    "农村教师": 2.5,
    "乡村校长": 2.0,
    "乡村骨干教师": 3.0,
    "乡村教师生活补助": 3.0,
    "特岗计划": 1.0,  # appears in every teacher-recruitment notice too
    "特岗教师": 2.0,  # teachers on rural special posts
    "银龄讲学": 3.0,  # retired teachers sent to rural schools
    "县管校聘": 3.0,  # county-wide teacher allocation, made to fill rural posts
    "交流轮岗": 2.0,  # teacher rotation, in county documents town → village
    "教师均衡配置": 2.5,
    "师资均衡": 2.0,
    "走教": 2.0,  # teachers walking between village schools
    "送教下乡": 2.0,
    "定向培养": 1.5,  # also used for rural doctors, hence not higher
    "乡镇工作补贴": 2.5,  # the township-post allowance of rural teachers
    "周转宿舍": 1.5,  # teachers' housing in rural schools; other staff get it too
    # theme: rural pupils
    "控辍保学": 3.0,  # dropout prevention: a rural-pupil programme
    "营养改善计划": 3.0,  # 农村义务教育学生营养改善计划
    "留守儿童教育": 3.0,  # education of left-behind children (their protection alone is not)
    "送教上门": 2.0,  # teaching disabled children at home, in villages
    "寄宿生": 1.0,
    # theme: education and poverty / revitalisation links
    "教育扶贫": 3.0,
    "教育帮扶": 3.0,
    "教育脱贫": 3.0,
    # theme: urban–rural integration and county-wide balance
    "城乡义务教育一体化": 4.0,
    "城乡教育一体化": 3.5,
    "县域义务教育优质均衡": 4.0,
    "县域内义务教育": 2.0,
    "县域义务教育": 2.0,
    "义务教育优质均衡": 2.5,
    "义务教育均衡": 2.5,
    "优质均衡": 1.5,
    "城乡教育共同体": 4.0,
    "城乡学校共同体": 4.0,
    "教育共同体": 2.5,  # in county documents the town–village 教共体
    "教共体": 2.5,
    "城乡学校结对帮扶": 4.0,
    "城乡教育": 2.0,
    "城乡学校": 2.0,
    "结对帮扶": 0.8,  # pairing is also done between urban schools
    "以城带乡": 2.0,
    "集团化办学": 1.0,  # counts when it pairs town and village schools: needs other evidence
    "同步课堂": 1.0,  # the usual means of sharing a town school's lessons with villages
}

# --- (a) subject: compositional phrasing ------------------------------------------------------
# "乡镇中心学校办学水平提升", "镇村学校布局": a rural place word followed, within
# COMPOSE_WINDOW characters of the same clause, by an education object carries the subject even
# when no phrase above matches. Clause breakers stop the window so that "各镇人民政府，县直各学校"
# is not one pair.
COMPOSE_PLACE_WORDS: tuple[str, ...] = (
    "乡村", "农村", "乡镇", "镇村", "镇域", "镇", "村", "山区", "城乡", "偏远", "边远", "海岛",
)
# 镇 after 城 is 城镇 (the towns, the urban side of a 城镇…乡村 pair), not a rural place.
COMPOSE_PLACE_NOT_AFTER = "城"
COMPOSE_OBJECTS: dict[str, float] = {
    # Weight per distinct (place, object) pair, applied like a phrase weight (density, caps).
    # A school, its teachers or its stage of schooling named next to a rural place is the
    # guide's own example of the subject: as strong as a 2-weight phrase, less than the
    # programme names because the pair is inferred, not named.
    "学校": 1.5, "小学": 1.5, "中小学": 1.5, "初中": 1.5, "幼儿园": 1.5, "中心校": 1.5,
    "教师": 1.5, "校长": 1.5, "教学点": 1.5, "义务教育": 1.5, "学前教育": 1.5,
    "办学": 1.5, "师资": 1.5, "校舍": 1.5, "学区": 1.0,
    # 教育 alone is broad (农民教育培训, 健康教育): half weight.
    "教育": 0.75,
}
COMPOSE_WINDOW = 6  # characters allowed between the place word and the object
COMPOSE_BREAKERS = "，。；：、,.;:！？!?（）()《》“”\"\n"
# Between place and object these words mean a different kind of school or audience:
# 村级老年学校, 乡镇党校, 农村驾校, 农民学校, 乡镇卫生院…
COMPOSE_EXCLUDED_GAPS: tuple[str, ...] = ("老年", "党", "农民", "驾", "技工", "干部", "卫生", "医")

# A title naming a rural place word AND an education word is about rural education even when
# it uses none of the phrases ("乡村振兴教育优质均衡工程", "乡村薄弱学校结对率"). Unlike the
# body pairs, the title is short: the two words may be anywhere in it. The guide puts the main
# subject in "the title, or most of the body": a title stating it is worth half the threshold,
# so the body has to agree only moderately.
TITLE_RURAL_WORDS: tuple[str, ...] = (
    "乡村", "农村", "乡镇", "城乡", "百县千镇万村", "镇村", "村小", "山区", "镇域", "偏远", "边远", "海岛",
)
TITLE_EDUCATION_WORDS: tuple[str, ...] = (
    "教育", "学校", "教师", "幼儿园", "校长", "教学点", "学前", "义务教育", "办学", "师资", "小学", "中小学",
    "入学",  # 农村留守儿童入学保障: the schooling of rural pupils
)
TITLE_COMPOUND_WEIGHT = 5.0
# A title that names a town (某某镇) with a school of that town: 镇 alone is too common in
# titles (it names issuers), so it needs the window rule of the body and weighs less.
TITLE_TOWN_PAIR_WEIGHT = 4.0

TITLE_FACTOR = 2.0  # a phrase in the title weighs this many times its table weight
TITLE_CAP = 10.0  # title evidence never exceeds this

# Body: per-phrase DENSITY (hits per 1,000 characters), capped, times the weight. A long
# general plan with one paragraph on schools therefore scores low however long it is.
DENSITY_CAP = 2.0  # hits per 1,000 characters counted at most, per phrase
MIN_KCHARS = 1.0  # short texts are treated as at least this many thousand characters
BODY_FACTOR = 1.0
BODY_CAP = 12.0
# Main subject means spread over the document, not one dense paragraph: the text is cut into
# SPREAD_WINDOWS equal windows (each at least SPREAD_MIN_WINDOW characters, so a short notice is
# one or two windows) and the body score is scaled by
# SPREAD_FLOOR + (1 - SPREAD_FLOOR) * (share of windows holding at least one piece of evidence).
# Equal shares rather than fixed-size windows: a school paragraph in a 1,000-character
# rural-industry plan covers a tenth of it, as one in a 100,000-character plan does.
SPREAD_WINDOWS = 10
SPREAD_MIN_WINDOW = 100
SPREAD_FLOOR = 0.2

METADATA_FACTOR = 1.0  # subject phrases in 主题词/分类/发布机构, each counted once
METADATA_CAP = 4.0
EDUCATION_PUBLISHER_WORDS: tuple[str, ...] = (
    "教育局", "教体局", "教育和体育局", "教育体育局", "教育厅", "教育委员会", "教育科技体育局", "教科体局",
)
EDUCATION_PUBLISHER_WEIGHT = 0.5  # an education bureau publishes urban plans too: a hint only

# subject_score at which the main subject counts as rural education. Calibrated on train/dev
# only: plans about something else reach 6.0 at most (a general rural-revitalisation or
# education plan with one rural-school chapter), rural-education plans with the thinnest bodies
# (a strong title, two lines of text) score 7.3.
SUBJECT_THRESHOLD = 7.0

# Evidence keeps the character offsets (in the whitespace-free text) of at most this many hits
# per phrase, so a reader can find them.
POSITIONS_KEPT = 3

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
# 乡村教师招聘工作实施方案 is; 督导评估结果 is not, 评估结果运用办法 is. 说明 covers 起草说明 and
# 意见采纳情况的说明, which explain a plan that has its own page.
NOT_PLAN_UNLESS_PLAN_TITLE_WORDS: tuple[str, ...] = (
    "招标", "采购", "磋商", "比选", "询价", "招聘", "遴选", "选调", "名单", "结果", "报告",
    "情况说明", "说明",
)
# News about an event: the page is not a plan unless its body reproduces one in full, or the
# title itself reports that a plan was adopted/issued (REPORTING_TITLE, below).
NEWS_EVENT_TITLE_WORDS: tuple[str, ...] = (
    "签约", "仪式", "举行", "举办", "召开", "开幕", "闭幕", "启动会", "座谈", "观摩", "调研",
    "走访", "慰问", "看望", "揭牌", "表彰", "获评", "荣获", "喜报", "侧记", "纪实", "掠影",
    "快讯", "简报", "走进", "参加", "出席", "会议", "活动", "开班", "培训班", "送教", "大赛",
    "展演", "迎来",
)

# Drafts are plans, marked as such (guide (b)): the title carries one of these words. A page
# that solicits comments on a named draft (关于公开征求《…（征求意见稿）》意见的公告) is the
# draft's public trace and counts too, although it is a 公告.
DRAFT_WORDS: tuple[str, ...] = ("征求意见稿", "送审稿", "草案", "讨论稿")
CONSULTATION_VERBS: tuple[str, ...] = ("征求", "征集")

# News reporting that a county issued a plan (guide (b): often the only public trace of it).
# In a title: one of REPORTING_TITLE_VERBS followed, later in the title, by a plan word ("莘县出台
# 十条措施提升…", "我县印发方案推进…", "常务会议通过…方案"). In a body (only when the title is
# a news headline): one of REPORTING_BODY_VERBS followed by a plan's name in 《》, or unquoted by
# a plan word within REPORTING_BODY_WINDOW characters of the same clause ("已印发乡村教育振兴行动
# 方案"). 通过 and 发布 are title-only: in bodies they mostly mean "by means of" and "published on".
REPORTING_TITLE_VERBS: tuple[str, ...] = ("出台", "印发", "制定", "审议通过", "通过", "推出", "发布", "出炉")
REPORTING_BODY_VERBS: tuple[str, ...] = ("出台", "印发", "制定", "审议通过", "出炉")
REPORTING_PLAN_WORDS: tuple[str, ...] = PLAN_WORDS + ("举措", "十条", "若干措施")
REPORTING_BODY_WINDOW = 30
# Only when the report is about a plan issued here, not when a text cites its sources: a body
# match whose clause starts with these words is a citation (根据…印发的…, 按照…要求).
REPORTING_CITATION_WORDS: tuple[str, ...] = ("根据", "按照", "依据", "贯彻", "落实", "对照")

# A body reproduces a plan in full when it is long, has at least this many 一、二、三、 sections
# and at least this many distinct plan-section markers, and names a plan.
BODY_PLAN_MIN_CHARS = 600
# Only the first this many characters are read for that structure: a reproduced plan shows its
# sections and markers on its first pages, and reading no further keeps a 100,000-character
# page fast.
BODY_PLAN_READ_CHARS = 20_000
BODY_PLAN_MIN_SECTIONS = 3
BODY_PLAN_MIN_MARKERS = 2
BODY_PLAN_MARKERS: tuple[str, ...] = (
    "指导思想", "总体要求", "基本原则", "工作目标", "主要目标", "目标任务", "目标要求",
    "主要任务", "重点任务", "工作任务", "工作措施", "主要措施", "实施步骤", "进度安排",
    "保障措施", "组织保障", "组织领导", "工作要求",
)

# score = min(1, subject_score / (2 * SUBJECT_THRESHOLD)) * genre factor; yes when score >= 0.5,
# which for a plan genre is exactly subject_score >= SUBJECT_THRESHOLD. Every plan genre counts
# fully: the guide makes no difference between the plan and its public traces.
GENRE_FACTORS: dict[str, float] = {
    "plan": 1.0,
    "notice-issuing-plan": 1.0,
    "news-reproducing-plan": 1.0,
    "notice-reproducing-plan": 1.0,
    "news-reporting-plan": 1.0,
    "consultation-on-draft": 1.0,
}
NOT_PLAN_FACTOR = 0.4
SCORE_YES = 0.5
