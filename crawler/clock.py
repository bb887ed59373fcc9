"""The crawl's clock: naive UTC now, or the time ``EDUWATCH_NOW`` names.

Why an environment variable: a crawl runs in a child process, and the freshness tests must
move time by days (a revisit bound, a deep-walk interval) without sleeping. The variable
reaches the child like the rest of the environment; nothing in production sets it.
"""

from __future__ import annotations

import os
from datetime import datetime

from storage.models import utcnow

CLOCK_VARIABLE = "EDUWATCH_NOW"


def now() -> datetime:
    """``$EDUWATCH_NOW`` (ISO 8601, naive UTC) when set, else the real time."""
    fixed = os.environ.get(CLOCK_VARIABLE)
    return datetime.fromisoformat(fixed) if fixed else utcnow()
