"""A commitment as the extractor finds it and as it is stored, compared and shown."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Commitment:
    sentence: str  # the sentence holding it, as written
    section: str | None  # the innermost heading above it
    indicator: str  # what is counted or measured (a dated goal: its first clause)
    deadline: date | None = None
    recurring: str | None = None  # 每年, 每学期 … as written
    target: float | None = None  # None: a dated goal, or an xx placeholder
    target_max: float | None = None  # the upper end of a range (10-20人)
    unit: str | None = None
    comparison: str | None = None  # at_least | more_than | at_most | less_than | about | range | equal
    scope: str | None = None  # 每个乡镇, 县域内, 全县 …
    lead: str | None = None
    partners: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        item = asdict(self)
        item["deadline"] = self.deadline.isoformat() if self.deadline else None
        item["partners"] = list(self.partners)
        return item

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> Commitment:
        deadline = item.get("deadline")
        return cls(
            sentence=item["sentence"], section=item.get("section"), indicator=item.get("indicator") or "",
            deadline=date.fromisoformat(deadline) if isinstance(deadline, str) else deadline,
            recurring=item.get("recurring"), target=item.get("target"), target_max=item.get("target_max"),
            unit=item.get("unit"), comparison=item.get("comparison"), scope=item.get("scope"), lead=item.get("lead"),
            partners=tuple(item.get("partners") or ()),
        )

    def with_responsibility(self, lead: str | None, partners: tuple[str, ...]) -> Commitment:
        return replace(self, lead=lead, partners=partners)

    def target_text(self) -> str:
        """``≥ 50 %``, ``10–20 人``, ``= 3 个``; empty for a dated goal."""
        if self.target is None and self.unit is None:
            return ""
        value = "xx" if self.target is None else f"{self.target:g}"
        if self.target_max is not None:
            value += f"–{self.target_max:g}"
        sign = {"at_least": "≥", "more_than": ">", "at_most": "≤", "less_than": "<", "about": "≈"}.get(self.comparison or "", "")
        return f"{sign}{value}{self.unit or ''}"
