"""RunBook: what one crawl of one portal has seen so far — pages, errors, list failures, a challenge.

A local spider closes its run from its book (:meth:`RunBook.outcome` → :func:`storage.runs.judge`);
a distributed worker drains its books into the run's shared tally after every response, and
the tally is judged by the same rules. Keeping the counting apart from the spider lets both
modes count the same way without one reaching into the other's attributes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from storage.records import FetchError
from storage.runs import RunOutcome


@dataclass
class RunBook:
    errors: list[FetchError] = field(default_factory=list)
    saved: Counter[str] = field(default_factory=Counter)  # store outcome -> documents
    pages_fetched: int = 0
    list_failures: int = 0
    capped_lists: list[str] = field(default_factory=list)  # lists max_list_pages stopped
    blocked_reason: str | None = None
    blocked_url: str = ""

    def record_error(self, url: str, reason: str) -> None:
        self.errors.append(FetchError(url, reason))

    def list_failed(self, url: str, reason: str) -> None:
        """A list page could not be read: the run vouches for nothing it did not see."""
        self.list_failures += 1
        self.record_error(url, reason)

    def block(self, reason: str, url: str) -> bool:
        """Note a challenge page; True the first time (the caller then stops the crawl)."""
        if self.blocked_reason:
            return False
        self.blocked_reason, self.blocked_url = reason, url
        self.record_error(url, f"challenge page: {reason}")
        return True

    def drain(self) -> tuple[list[FetchError], int]:
        """Hand over the errors and list failures noted since the last drain (distributed tally)."""
        errors, self.errors = self.errors, []
        failures, self.list_failures = self.list_failures, 0
        return errors, failures

    def outcome(self, close_reason: str, *, notes: tuple[str, ...] = (), time_limit: float | None = None,
                memory_limit_mb: int | None = None) -> RunOutcome:
        return RunOutcome(
            pages_fetched=self.pages_fetched, errors=tuple(self.errors), list_failures=self.list_failures,
            blocked=self.blocked_reason, blocked_url=self.blocked_url, close_reason=close_reason,
            time_limit=time_limit, memory_limit_mb=memory_limit_mb, notes=notes,
        )
