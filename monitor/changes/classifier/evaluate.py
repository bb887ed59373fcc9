"""Precision, recall and the confusion table of the classifier on labelled documents.

Each error keeps the classifier's evidence, so a reader sees why it went wrong: the genre it
read, the subject score against the threshold, and the strongest phrases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from monitor.changes.classifier import rules
from monitor.changes.classifier.classify import classify
from monitor.changes.classifier.corpus import as_document

ERROR_EVIDENCE = 8  # strongest evidence items shown per error


@dataclass
class Evaluation:
    name: str
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "documents": self.documents,
            "precision": round(self.precision, 4), "recall": round(self.recall, 4),
            "confusion": {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn},
            "errors": self.errors,
        }


def _error(entry: dict[str, Any], predicted: bool) -> dict[str, Any]:
    result = classify(as_document(entry))
    subject = sorted((e for e in result.evidence if e.weight), key=lambda e: -e.weight)[:ERROR_EVIDENCE]
    genre = [e for e in result.evidence if e.phrase.startswith(("genre:", "draft:"))]
    return {
        "id": entry.get("id"), "title": entry.get("title") or "", "label": entry["label"], "predicted": predicted,
        "genre": result.genre, "subject_score": result.subject_score, "threshold": rules.SUBJECT_THRESHOLD,
        "reason": entry.get("reason"), "evidence": [e.to_json() for e in subject + genre],
    }


def evaluate(entries: Iterable[dict[str, Any]], name: str) -> Evaluation:
    report = Evaluation(name)
    for entry in entries:
        label = bool(entry["label"])
        predicted = classify(as_document(entry)).is_rural_plan
        if predicted and label:
            report.tp += 1
        elif predicted:
            report.fp += 1
        elif label:
            report.fn += 1
        else:
            report.tn += 1
        if predicted != label:
            report.errors.append(_error(entry, predicted))
    return report
