"""Commitments inside plans: what each plan promises, by when, counted how, led by whom.

``extract(text, written_date)`` reads a plan's text (body and attachment texts); the change pass
stores the result per revision (:mod:`monitor.changes.commitments.record`), and ``eduwatch
commitments`` reads and evaluates it.
"""

from monitor.changes.commitments.extract import extract
from monitor.changes.commitments.types import Commitment

__all__ = ["Commitment", "extract"]
