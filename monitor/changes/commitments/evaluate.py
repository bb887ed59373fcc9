"""Scoring the extractor against hand labels, by the rule the corpus README fixed beforehand.

Per plan, a found commitment and a label may pair when their sentences overlap (containment or
bigram Dice ≥ 0.5, punctuation ignored); pairs are taken greedily, best first (same target
number, then indicator similarity), one-to-one. Precision = pairs / found, recall = pairs /
labels; a pair is fully right when deadline, target number and indicator agree. Other fields are
reported as accuracies over the pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from monitor.changes.commitments.corpus import LabelledPlan
from monitor.changes.commitments.extract import extract
from monitor.changes.commitments.similarity import dice, same_text, squash
from monitor.changes.commitments.types import Commitment

FIELDS: dict[str, Callable[[Commitment, Commitment], bool]] = {
    "deadline": lambda a, b: a.deadline == b.deadline,
    "target": lambda a, b: a.target == b.target,
    "indicator": lambda a, b: same_text(a.indicator, b.indicator),
    "unit": lambda a, b: (a.unit or None) == (b.unit or None),
    "comparison": lambda a, b: (a.comparison or None) == (b.comparison or None),
    "scope": lambda a, b: squash(a.scope) == squash(b.scope),
    "section": lambda a, b: (not a.section and not b.section) or same_text(_marker_free(a.section), _marker_free(b.section), 0.8),
    "lead": lambda a, b: _unbracketed(a.lead) == _unbracketed(b.lead),
    "partners": lambda a, b: sorted(map(_unbracketed, a.partners)) == sorted(map(_unbracketed, b.partners)),
    "recurring": lambda a, b: (a.recurring or None) == (b.recurring or None),
}


def _marker_free(text: str | None) -> str:
    return re.sub(r"^(?:第[^条章]+[条章]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d+[.．、])", "", text or "")


def _unbracketed(text: str | None) -> str:
    """Units compare without their bracketed aliases: 县教育体育局（县委教育工委） is 县教育体育局."""
    return squash(re.sub(r"[（(][^（）()]*[）)]", "", text or ""))


def fully_right(found: Commitment, label: Commitment) -> bool:
    return all(FIELDS[name](found, label) for name in ("deadline", "target", "indicator"))


@dataclass
class PlanResult:
    id: str
    pairs: list[tuple[Commitment, Commitment]]
    extra: list[Commitment]  # found, no label
    missed: list[Commitment]  # labelled, not found


@dataclass
class Evaluation:
    name: str
    plans: list[PlanResult] = field(default_factory=list)

    @property
    def pairs(self) -> list[tuple[Commitment, Commitment]]:
        return [pair for plan in self.plans for pair in plan.pairs]

    @property
    def found(self) -> int:
        return len(self.pairs) + sum(len(p.extra) for p in self.plans)

    @property
    def labelled(self) -> int:
        return len(self.pairs) + sum(len(p.missed) for p in self.plans)

    @property
    def precision(self) -> float:
        return len(self.pairs) / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return len(self.pairs) / self.labelled if self.labelled else 1.0

    @property
    def fully_right(self) -> float:
        return sum(fully_right(f, l) for f, l in self.pairs) / len(self.pairs) if self.pairs else 1.0

    def field_accuracy(self) -> dict[str, float]:
        pairs = self.pairs
        return {name: (sum(check(f, l) for f, l in pairs) / len(pairs) if pairs else 1.0) for name, check in FIELDS.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.name, "plans": len(self.plans), "labelled": self.labelled, "found": self.found,
            "matched": len(self.pairs), "precision": round(self.precision, 4), "recall": round(self.recall, 4),
            "fully_right": round(self.fully_right, 4),
            "field_accuracy": {k: round(v, 4) for k, v in self.field_accuracy().items()},
            "errors": [
                {"plan": plan.id,
                 "missed": [c.to_dict() for c in plan.missed], "extra": [c.to_dict() for c in plan.extra],
                 "wrong": [{"found": f.to_dict(), "label": l.to_dict()} for f, l in plan.pairs if not fully_right(f, l)]}
                for plan in self.plans if plan.missed or plan.extra or any(not fully_right(f, l) for f, l in plan.pairs)
            ],
        }


def match(found: list[Commitment], labels: list[Commitment]) -> PlanResult:
    candidates = []
    for i, f in enumerate(found):
        for j, label in enumerate(labels):
            if same_text(f.sentence, label.sentence):
                candidates.append(((f.target == label.target, dice(f.indicator, label.indicator)), i, j))
    candidates.sort(key=lambda c: c[0], reverse=True)
    used_f, used_l, pairs = set(), set(), []
    for _, i, j in candidates:
        if i not in used_f and j not in used_l:
            used_f.add(i)
            used_l.add(j)
            pairs.append((i, j))
    pairs.sort(key=lambda p: p[1])
    return PlanResult(
        id="", pairs=[(found[i], labels[j]) for i, j in pairs],
        extra=[f for i, f in enumerate(found) if i not in used_f],
        missed=[label for j, label in enumerate(labels) if j not in used_l],
    )


def evaluate(plans: list[LabelledPlan], name: str) -> Evaluation:
    report = Evaluation(name)
    for plan in plans:
        result = match(extract(plan.text, plan.written_date), list(plan.labels))
        result.id = plan.id
        report.plans.append(result)
    return report
