"""Number targets inside one clause: which numbers are promises, their comparison (至少, 以上, 不超过,
约, 10-20 …) and the indicator they count or measure.

Not every number with a unit is a target. A number is one when it carries a comparison, follows
an action the plan promises (建成, 培训, 新增 …), ends its clause, or is a percentage — and it is
not a name in quotes (“三所学校”), an ordinal (第三期), a per-unit base (每100名寄宿生), a condition
(满10年, 对不足10人的教学点), or a restatement (每人不少于5天共40学时: the 40 is the same standard).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.changes.commitments.numbers import Quantity, quantities

AFTER = (("以上", "at_least"), ("以下", "at_most"), ("以内", "at_most"), ("左右", "about"))
BEFORE = (
    ("不低于", "at_least"), ("不少于", "at_least"), ("不小于", "at_least"), ("至少", "at_least"), ("最低", "at_least"),
    ("不超过", "at_most"), ("不高于", "at_most"), ("不多于", "at_most"), ("最多", "at_most"), ("控制在", "at_most"),
    ("超过", "more_than"), ("高于", "more_than"), ("多于", "more_than"), ("大于", "more_than"),
    ("低于", "less_than"), ("少于", "less_than"), ("不足", "less_than"), ("小于", "less_than"),
    ("大约", "about"), ("约", "about"),
)
_BEFORE = re.compile("|".join(word for word, _ in BEFORE))
# Actions a plan promises: a number right after one (建设3所…) is a target.
VERBS = (
    "改扩建", "新建", "改建", "建成", "建设", "建有", "建立", "打造", "培育", "组建", "创建", "完成", "招聘", "招收", "补充",
    "定向培养", "培养", "培训", "选派", "派出", "遴选", "认定", "评选", "表彰", "开展", "召开", "举办", "组织", "配备", "配齐",
    "新增", "增加", "增长", "投入", "安排", "帮扶", "达到", "提高", "提升", "发放", "拨付", "实现", "办好", "覆盖", "改造",
    "消除", "接受", "参加", "扩充", "减少", "保持", "送教", "带教", "建好", "设立", "设置", "给予", "派",
)
_VERB_AT_END = re.compile("(?:" + "|".join(VERBS) + ")$")
_VERB_AT_START = re.compile("(?:" + "|".join(VERBS) + ")")
# Where a measured indicator ends and its target begins (率达到…, 比例不低于…).
_LINK = re.compile("达到|保持在|提高到|提升到|提高|控制在|达(?!标|成)|" + "|".join(w for w, _ in BEFORE[:-2]))
_LEADING = re.compile(
    r"^(?:[，,、：:\s]|同时|并且|并|且|其中|另外|以及|和|及|(?:方案|计划|意见|文件)?(?:提出|明确|要求)|力争|确保|努力|争取"
    r"|实现|基本|原则上|按照|按|通过|由|将|要)+"
)
_TRAILING = re.compile(r"(?:[，,、：:\s的]|必须|须|应当|应|要|原则上|分别|均|都|为|在|约|大约|达到|达|保持在|保持|提高到|提升到"
                       r"|控制在|" + "|".join(w for w, _ in BEFORE) + ")+$")
_MASKED = re.compile(r"“[^”]{0,30}”|《[^》]{0,80}》|〔[^〕]{0,20}〕|\"[^\"]{0,30}\"")
# 每生每年720元, 每人每月500元: a standard per head is a target wherever it stands in the clause.
_PER_HEAD = re.compile(r"每(?:生|人|名)每?(?:年|月|学年|学期|周)?$")
FULL_COVERAGE = re.compile(r"全覆盖(?!项目|工程)")
ZERO = re.compile(r"(?:动态)?清零")


@dataclass(frozen=True)
class Target:
    start: int  # in the clause
    end: int
    value: float | None
    value_max: float | None
    unit: str | None
    comparison: str
    indicator: str


def masked(text: str) -> str:
    """``text`` with quoted names, cited titles and 〔文号〕 blanked (same length)."""
    return _MASKED.sub(lambda m: "□" * len(m.group()), text)


def clause_targets(clause: str, blank: list[tuple[int, int]] = ()) -> list[Target]:
    """The number targets of one clause (digit-normalised), each with its indicator.

    ``blank``: spans (deadline, scope, frequency words) left out of indicators.
    """
    text = masked(clause)
    found: list[Quantity] = []
    for quantity in quantities(text):
        listed = bool(found) and "、" in text[found[-1].end: quantity.start]  # …1所X、1所Y
        if _is_target(text, quantity) or (listed and "，" not in text[found[-1].end: quantity.start]):
            found.append(quantity)
    found = [q for q in found if not _restated(text, q, found)]
    targets: list[Target] = []
    for index, quantity in enumerate(found):
        head_start = found[index - 1].end if index else 0
        head = _blanked(clause, head_start, quantity.start, blank)
        tail_end = _tail_end(text, quantity, found[index + 1] if index + 1 < len(found) else None)
        tail_start = quantity.end + _after_length(text, quantity.end)
        tail = _blanked(clause, tail_start, tail_end, blank)
        indicator = _indicator(head, tail) or (targets[-1].indicator if targets else "")
        targets.append(Target(quantity.start, quantity.end, quantity.value, quantity.value_max, quantity.unit,
                              _comparison(text, quantity, head_start), indicator))
    targets = _shared_comparisons(text, targets)
    targets += _special(clause, text, blank, targets)
    return targets


def _is_target(text: str, quantity: Quantity) -> bool:
    before, after = text[max(0, quantity.start - 2): quantity.start], text[quantity.end: quantity.end + 3]
    if "□" in text[quantity.start: quantity.end] or before.endswith(("第", "每")) or re.search(r"(?:未满|不满|满)$", before):
        return False
    if after.startswith("或"):  # 整合为三个或多个…: a choice, not a promise
        return False
    if text.lstrip("，, ").startswith("对") and after.startswith(("的",)):
        return False  # 对生源不足10人的教学点: a condition
    if quantity.unit == "%" or any(after.startswith(w) for w, _ in AFTER) or quantity.value_max is not None:
        return True
    head = text[: quantity.start]
    if _BEFORE.search(head[-8:]) or re.search(r"(?:达到|达|为|至|到)$", head) or _PER_HEAD.search(head):
        return True
    rest = text[quantity.end:].strip("，,。；; ")
    return not rest or bool(_VERB_AT_END.search(head.rstrip("约")))


def _restated(text: str, quantity: Quantity, found: list[Quantity]) -> bool:
    """每人不少于5天共40学时: a number after 共 restates the one before it."""
    return len(found) > 1 and text[max(0, quantity.start - 1): quantity.start] == "共"


def _after_length(text: str, end: int) -> int:
    return next((len(w) for w, _ in AFTER if text.startswith(w, end)), 0)


def _tail_end(text: str, quantity: Quantity, following: Quantity | None) -> int:
    end = following.start if following is not None else len(text)
    comma = text.find("、", quantity.end, end)
    return comma if following is not None and comma != -1 else end


def _blanked(clause: str, start: int, end: int, blank: list[tuple[int, int]]) -> str:
    chars = list(clause[start:end])
    for a, b in blank:
        for i in range(max(a, start), min(b, end)):
            chars[i - start] = ""
    return "".join(chars)


def _comparison(text: str, quantity: Quantity, head_start: int) -> str:
    if quantity.value_max is not None:
        return "range"
    after = next((c for w, c in AFTER if text.startswith(w, quantity.end)), None)
    if after:
        return after
    window = text[max(head_start, quantity.start - 14): quantity.start]
    hits = list(_BEFORE.finditer(window))
    if hits:
        return dict(BEFORE)[hits[-1].group()]
    return "equal"


def _shared_comparisons(text: str, targets: list[Target]) -> list[Target]:
    """至少办好1所…、1所… / 分别达到2000元、2500元以上: one comparison for a 、-list of targets."""
    out = list(targets)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if "、" in text[a.end: b.start] and "，" not in text[a.end: b.start]:
            if a.comparison == "equal" and b.comparison != "equal":
                out[i] = _replace(a, b.comparison)
            elif b.comparison == "equal" and a.comparison != "equal":
                out[i + 1] = _replace(b, a.comparison)
    return out


def _replace(target: Target, comparison: str) -> Target:
    return Target(target.start, target.end, target.value, target.value_max, target.unit, comparison, target.indicator)


def clean(text: str) -> str:
    """An indicator without connectives, effort words, trailing comparisons and punctuation."""
    text = text.replace("原则上", "")
    previous = None
    while previous != text:
        previous = text
        text = _TRAILING.sub("", _LEADING.sub("", text)).strip()
    return text


def _indicator(head: str, tail: str) -> str:
    head_text = clean(head)
    tail_text = tail.strip("，,。；; ")
    if len(re.sub(r"\W", "", tail_text)) >= 2 and not tail_text.startswith("的"):
        verb = _VERB_AT_END.search(head_text)
        if verb or not head_text:  # 建设3所市级信息化中心学校: what is built is counted
            return clean((verb.group() if verb else "") + tail_text)
    link = _LINK.search(head_text)
    if link is not None:
        rest = clean(head_text[link.end():])
        if _VERB_AT_START.match(rest):  # 每学期至少开展联合教研活动3次: the action is counted
            return rest
        if len(clean(head_text[: link.start()])) >= 2:  # 巩固率达到…: the measure before the link
            head_text = clean(head_text[: link.start()])
    if tail_text.startswith("的") and len(tail_text) > 2:  # 不低于20%的义务教育学校…
        return clean(head_text + tail_text) if head_text else clean(tail_text[1:])
    return head_text


def _special(clause: str, text: str, blank: list[tuple[int, int]], targets: list[Target]) -> list[Target]:
    """全覆盖 (100 %) and 清零 (0), which carry no digits."""
    out: list[Target] = []
    for pattern, value, unit in ((FULL_COVERAGE, 100, "%"), (ZERO, 0, None)):
        for match in pattern.finditer(text):
            if any(t.start <= match.start() < t.end for t in targets):
                continue
            head_start = max([t.end for t in targets if t.end <= match.start()], default=0)
            indicator = clean(_blanked(clause, head_start, match.start(), blank))
            indicator = re.sub(r"(?:实现|达到|做到)$", "", indicator).strip() or indicator
            out.append(Target(match.start(), match.end(), value, None, unit, "equal", indicator))
    return out
