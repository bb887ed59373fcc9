"""The daemon's monitor pass + delivery, off the crawl batches' threads."""

from __future__ import annotations

import threading
from typing import Callable


class PassRunner:
    """Runs ``work`` (the daemon's monitor pass + delivery) in a thread of its own whenever asked,
    one at a time; asks that arrive while it runs are coalesced into one more run.

    Why a thread of its own: the first pass over a large store can take a minute, and a crawl
    child's slot must not wait for it — the next batch of due portals would start late.
    """

    def __init__(self, work: Callable[[], None], stop: threading.Event) -> None:
        self.work, self.stop = work, stop
        self._wanted = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="passes", daemon=True)

    def start(self) -> "PassRunner":
        self.thread.start()
        return self

    def ask(self) -> None:
        self._wanted.set()

    def _loop(self) -> None:
        while not self.stop.is_set():
            if self._wanted.wait(0.5) and not self.stop.is_set():
                self._wanted.clear()
                self.work()
