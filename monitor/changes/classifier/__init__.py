"""Is this document a rural-education plan? Rules-based, offline, with evidence.

Public interface (called by monitor.changes.revisions): classify(ClassifiableDocument) -> Classification,
and RULES_VERSION, which changes whenever rules.py changes so stored results can be redone.
"""

from monitor.changes.classifier.classify import Classification, ClassifiableDocument, Evidence, classify
from monitor.changes.classifier.rules import RULES_VERSION

__all__ = ["Classification", "ClassifiableDocument", "Evidence", "RULES_VERSION", "classify"]
