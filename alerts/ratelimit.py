"""A sliding-window rate limiter per WeCom webhook (20 messages per minute per robot).

State lives in the process (one limiter per rate and window, shared by every
``deliver_pending`` call, so the daemon's successive passes see each other). A fresh process
seeds a webhook's window from the ``sent_at`` of its recent WeCom alerts in the database, so a
restart does not burst. The seed counts one message per alert, which undercounts an alert that
went out in several parts; WeCom's own ``45009`` answer is the backstop (the deliverer then
treats the window as full).

Times are recorded when WeCom *answered*, not when the request left, so the server's view of
the window (it sees the request slightly earlier) is never tighter than ours.

The limiter only says how long; it never sleeps. The deliverer turns a wait into a later
``next_attempt_at`` (see :mod:`alerts.delivery`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Iterable


class SlidingWindowLimiter:
    def __init__(self, rate: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        if rate < 1 or window <= 0:
            raise ValueError("rate must be >= 1 and window > 0")
        self.rate = rate
        self.window = window
        self.clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def seeded(self, key: str) -> bool:
        with self._lock:
            return key in self._sent

    def seed(self, key: str, ages: Iterable[float]) -> None:
        """Messages sent ``ages`` seconds ago (from the database), unless already known."""
        now = self.clock()
        with self._lock:
            if key in self._sent:
                return
            times = sorted(now - age for age in ages if 0 <= age < self.window)
            self._sent[key] = deque(times[-self.rate :])

    def delay(self, key: str, count: int = 1) -> float:
        """Seconds until the ``count``-th next message to ``key`` may go (0: now).

        Assumes each of those messages goes as soon as it may: the n-th can go once the
        message ``rate`` places before it has left the window. For ``count <= rate`` this is
        also how long until ``count`` messages may go at once (a multi-part message).
        """
        count = max(count, 1)
        rounds, nth = divmod(count - 1, self.rate)  # whole windows to wait, then the nth+1 slot
        now = self.clock()
        with self._lock:
            sent = self._sent.setdefault(key, deque())
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            excess = len(sent) + nth + 1 - self.rate
            wait = 0.0 if excess <= 0 else sent[excess - 1] + self.window - now
            wait = max(wait, self._blocked_until.get(key, 0.0) - now, 0.0)
            return wait + rounds * self.window

    def record(self, key: str) -> None:
        with self._lock:
            self._sent.setdefault(key, deque()).append(self.clock())

    def block(self, key: str, seconds: float | None = None) -> None:
        """The server said "too many" (45009): send nothing to ``key`` for a while."""
        with self._lock:
            self._blocked_until[key] = self.clock() + (self.window if seconds is None else seconds)


_SHARED: dict[tuple[int, float], SlidingWindowLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(rate: int, window: float = 60.0) -> SlidingWindowLimiter:
    """The process-wide limiter for this rate (what the daemon's passes share)."""
    with _SHARED_LOCK:
        return _SHARED.setdefault((rate, window), SlidingWindowLimiter(rate, window))
