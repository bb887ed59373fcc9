"""Per-portal freshness as ``eduwatch status`` and ``eduwatch portals`` show it (issue 11).

The figures come from :func:`storage.freshness.portal_freshness`: staleness (the oldest
last-verified time among the portal's known documents), documents due for a re-check now and
those past their bound (overdue), incomplete documents, last and next deep walk. A portal with
overdue documents is *behind*: its revisits cannot keep up with its bounds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.shell.cli.table import json_time
from storage.freshness import PortalFreshness


def freshness_figures(fresh: PortalFreshness | None, now: datetime) -> dict[str, Any] | None:
    """The ``--json`` object of one portal (None: no document of it known yet)."""
    if fresh is None or not fresh.known:
        return None
    oldest = fresh.oldest_verified
    return {
        "known_documents": fresh.known,
        "oldest_verified": json_time(oldest),
        "staleness_seconds": round((now - oldest).total_seconds()) if oldest is not None else None,
        "due": fresh.due,
        "overdue": fresh.overdue,
        "incomplete": fresh.incomplete,
        "last_deep_walk": json_time(fresh.last_deep_walk),
        "next_deep_walk": json_time(fresh.next_deep_walk),
        "behind": fresh.overdue > 0,
    }


def show_staleness(figures: dict[str, Any] | None) -> str:
    """The table cell: how old the oldest verification is, and due/overdue counts."""
    if not figures or figures["staleness_seconds"] is None:
        return "—"
    text = _age(figures["staleness_seconds"])
    if figures["due"] or figures["overdue"]:
        text += f" ({figures['due']} due, {figures['overdue']} overdue)"
    return text


def behind_note(figures: dict[str, Any] | None) -> str | None:
    """A status note for a portal whose revisits cannot keep up with its bounds."""
    if not figures or not figures["behind"]:
        return None
    return f"revisits behind: {figures['overdue']} documents past their bound"


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.1f}d"
