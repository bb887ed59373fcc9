"""How late a portal's scheduled runs start: the lag figures ``eduwatch status`` shows.

Each scheduled run keeps the slot it was due for (``crawl_runs.due_at``); its lag is its start
minus that, and it is *on time* when the lag is at most a tenth of the portal's interval (the
same rule the dispatcher uses to call a portal behind). A run that began a little early (a
portal gathered into a batch starting just before its slot) has lag 0.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any, Sequence

from monitor.shell.dispatch import ON_TIME_SHARE

RECENT_RUNS = 20  # the figures cover each portal's latest this many scheduled runs


def lag_figures(starts: Sequence[tuple[datetime, datetime]], interval: float) -> dict[str, Any] | None:
    """Lag median and last (seconds) and the share on time, from (due, started) pairs, newest
    first; None for a portal without scheduled runs."""
    if not starts:
        return None
    lags = [max(0.0, (started - due).total_seconds()) for due, started in starts]
    on_time = sum(1 for lag in lags if lag <= ON_TIME_SHARE * interval)
    return {
        "runs": len(lags),
        "lag_median_seconds": round(statistics.median(lags), 1),
        "lag_last_seconds": round(lags[0], 1),
        "on_time_share": round(on_time / len(lags), 3),
        "on_time_limit_seconds": round(ON_TIME_SHARE * interval, 1),
    }


def show_lag(figures: dict[str, Any] | None) -> tuple[str, str]:
    """The two table cells: "median/last" lag and the on-time percentage."""
    if not figures:
        return "—", "—"
    return (f"{_seconds(figures['lag_median_seconds'])}/{_seconds(figures['lag_last_seconds'])}",
            f"{figures['on_time_share'] * 100:.0f}%")


def _seconds(value: float) -> str:
    if value < 120:
        return f"{value:.0f}s"
    if value < 7200:
        return f"{value / 60:.0f}m"
    return f"{value / 3600:.1f}h"
