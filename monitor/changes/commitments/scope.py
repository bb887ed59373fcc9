"""Scope phrases: where (or to which unit) a target applies — 每个乡镇, 每所城区学校, 县域内, 全县, 全市,
各县市(区). Read from the clause that holds the target, never carried to the next clause: in
“每所寄宿制学校每周开展…3次，到2024年建成乡村少年宫10个” the 10 are no per-school target.
"""

from __future__ import annotations

import re

# Nouns a per-unit scope ends with; the words before them (试点, 城区, 村级 …) stay in the scope.
_PLACES = (
    "乡镇（街道）", "乡镇(街道)", "县市（区）", "县市(区)", "幼教点", "工作室", "幼儿园", "学校", "学区", "宿舍",
    "乡镇", "镇", "村", "校", "区", "县",
)
_PLACE = "|".join(re.escape(p) for p in _PLACES)
# Words that end a scope noun phrase (a verb or a comparison follows the place).
_STOP = "至建配开有办带对接均都派不到将要应实达为每年，,、。；;：:（）()0-9"
# Greedy: the longest phrase that still ends in a place (每个乡镇中心幼儿园, not 每个乡镇).
PER_UNIT = re.compile(rf"(?:每(?:个|所|间)|各)[^{_STOP}]{{0,6}}(?:{_PLACE})|每(?:校|镇|村)")
_SUFFIX = re.compile(r"[（(](?:街道|区|场)[）)]")
AREA = re.compile(r"(?:县域|市域|区域|镇域)内|全(?:县|市|区|省|州|旗)(?!委|政府|人民)")


def scope_in(clause: str) -> tuple[str | None, tuple[int, int] | None]:
    """The clause's scope phrase and its span, or (None, None)."""
    hits = [m for m in (PER_UNIT.search(clause), AREA.search(clause)) if m is not None]
    if not hits:
        return None, None
    first = min(hits, key=lambda m: m.start())
    start, end = first.span()
    suffix = _SUFFIX.match(clause, end)  # 乡镇（街道）, 县市(区): the bracket belongs to the place
    if suffix is not None:
        end = suffix.end()
    return clause[start:end], (start, end)
