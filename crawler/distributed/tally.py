"""RunTally: one run's counters in Redis, shared by every worker, and closing the run from them."""

from __future__ import annotations

import json
import time

import redis

from crawler.distributed.keys import RUN_KEY_TTL, Keys
from storage.records import FetchError
from storage.runs import RunOutcome, Runs, RunSummary
from storage.store import Store


class RunTally:
    """Counters of one run shared by every worker (hash ``<p>:run:<id>``)."""

    def __init__(self, server: redis.Redis, keys: Keys, run_id: int) -> None:
        self.server, self.keys, self.run_id = server, keys, int(run_id)
        self.key = keys.run(run_id)

    def open(self, portal: str, full: bool) -> None:
        self.server.hset(self.key, mapping={
            "portal": portal, "full": int(full), "pending": 1, "pages": 0, "list_failures": 0,
            "activity": time.time(),
        })
        self.server.expire(self.key, RUN_KEY_TTL)

    def add(self, n: int = 1, *, done_inflight: tuple[str, str] | None = None) -> int:
        """Change the run's pending count; ``done_inflight`` (hash, field): also drop that in-flight
        record in the same MULTI, so a worker killed between the two cannot leave the request
        neither in flight (to be put back) nor counted done (the run would wait for it forever)."""
        pipe = self.server.pipeline(transaction=True)
        pipe.hincrby(self.key, "pending", n)
        pipe.hset(self.key, "activity", time.time())
        if done_inflight is not None:
            pipe.hdel(*done_inflight)
        return int(pipe.execute()[0])

    def field(self, name: str) -> str | None:
        value = self.server.hget(self.key, name)
        return value.decode() if value is not None else None

    def stopped(self) -> str | None:
        """Why this run takes no more work (cancelled or blocked), or None."""
        values = self.server.hmget(self.key, ["cancelled", "blocked"])
        for value in values:
            if value:
                return value.decode()
        return None

    def snapshot(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.server.hgetall(self.key).items()}

    def errors(self) -> list[FetchError]:
        return [FetchError(**json.loads(raw)) for raw in self.server.lrange(self.keys.errors(self.run_id), 0, 999)]

    def claim_finish(self) -> bool:
        """True for exactly one caller: the one who closes the run."""
        return bool(self.server.hsetnx(self.key, "finished", time.time()))

    def set_plan(self, revisit: frozenset[str], deep: bool) -> None:
        """The run's revisits and deep walk, chosen once by the worker that took its seed."""
        self.server.hsetnx(self.key, "plan", json.dumps({"revisit": sorted(revisit), "deep": deep}))

    def plan(self) -> tuple[frozenset[str], bool] | None:
        raw = self.server.hget(self.key, "plan")
        if raw is None:
            return None
        plan = json.loads(raw)
        return frozenset(plan["revisit"]), bool(plan["deep"])

    def claim_probes(self) -> bool:
        """True for exactly one caller: the one who decides the run's withdrawal probes."""
        return bool(self.server.hsetnx(self.key, "probes", 0))


def finish_from_tally(store: Store, tally: RunTally) -> RunSummary:
    """Close the run in the database from the shared tally, by the same rules as a local run.

    The document counts are Redis's: the store's per-run counters are read-modify-write
    increments that lose updates when several workers save into one run at once.
    """
    snap = tally.snapshot()
    outcome = RunOutcome(
        pages_fetched=int(snap.get("pages", 0)), errors=tuple(tally.errors()),
        list_failures=int(snap.get("list_failures", 0)), blocked=snap.get("blocked") or None,
        blocked_url=snap.get("blocked_url", ""), close_reason="finished" if int(snap.get("pages", 0)) else "no response",
    )
    docs = (int(snap.get("new", 0)), int(snap.get("updated", 0)))
    return Runs(store.db).close(tally.run_id, outcome, docs=docs)
