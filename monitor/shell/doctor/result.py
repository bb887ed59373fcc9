"""One check's verdict: what was checked, whether it passed, what was seen, and a fix to try.

A plain record so the CLI can print it as a line or as JSON, and tests can read it directly."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from eduwatch.redact import redact


@dataclass(frozen=True)
class Check:
    check: str
    ok: bool
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        """Secrets masked here too: ``--json`` output may be pasted into a ticket."""
        return {key: redact(value) if isinstance(value, str) else value for key, value in asdict(self).items()}


def passed(check: str, detail: str) -> Check:
    return Check(check, True, detail, "")


def failed(check: str, detail: str, fix: str) -> Check:
    return Check(check, False, detail, fix)
