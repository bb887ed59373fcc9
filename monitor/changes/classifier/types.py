"""What the classifier reads and what it answers: plain, frozen, storable values."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ClassifiableDocument:
    """What the classifier reads; attachments_text is the extracted text of all attachments."""

    title: str
    body: str
    doc_no: str | None = None  # 文号
    category: str | None = None
    keywords: str | None = None  # 主题词
    publisher: str | None = None
    attachments_text: str = ""


@dataclass(frozen=True)
class Evidence:
    """One phrase found in one field, with the score it contributed (0 for genre evidence).

    ``at`` holds the character offsets (in the field's whitespace-free text) of the first hits,
    so a reader can find them; title and metadata evidence leave it empty (the field is short).
    """

    field: str  # title | body | attachments | metadata
    phrase: str
    weight: float
    count: int = 1
    at: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        item = asdict(self)
        if not self.at:
            del item["at"]  # keeps stored evidence of short fields as it always was
        else:
            item["at"] = list(self.at)
        return item


@dataclass(frozen=True)
class Classification:
    score: float
    is_rural_plan: bool
    evidence: tuple[Evidence, ...]
    subject_score: float
    # plan | notice-issuing-plan | news-reproducing-plan | notice-reproducing-plan |
    # news-reporting-plan | consultation-on-draft | not-plan:<why>
    genre: str
    draft: bool = False  # a 征求意见稿 or other draft: a plan, marked as draft

    def evidence_json(self) -> list[dict[str, Any]]:
        """Plain dicts for documents.rural_evidence (JSON column)."""
        return [item.to_json() for item in self.evidence]
