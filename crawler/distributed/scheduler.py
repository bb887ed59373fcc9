"""The scheduler side: open a run, seed it into the queue, hold the portal's lease until the
workers have finished it (or cancel it: time limit, stall, shutdown).

The daemon seeds a whole batch of due portals at once (:func:`crawl_distributed_batch`): one
run per portal as always, their seeds pushed in one round trip, all watched by one loop."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from typing import Mapping

import redis

from crawler.distributed.keys import Keys, connect
from crawler.distributed.tally import RunTally
from eduwatch.config import Config
from storage.database import Database
from storage.locks import Locks, make_holder
from storage.runs import RunSummary, Runs
from storage.crawl_leases import free_portal_leases, portal_leases
from storage.store import Store

DEFAULT_STALL_TIMEOUT = 900.0


def enqueue_run(server: redis.Redis, keys: Keys, run_id: int, portal: str, full: bool = False) -> None:
    RunTally(server, keys, run_id).open(portal, full)
    server.rpush(keys.start_urls, json.dumps({"portal": portal, "run": run_id, "full": full}))


def crawl_distributed(
    db: Database,
    config: Config,
    portal: str,
    *,
    full: bool = False,
    trigger: str = "schedule",
    time_limit: float | None = None,
    stop: threading.Event | None = None,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    wait: bool = False,
    server: redis.Redis | None = None,
) -> RunSummary:
    """One run of ``portal`` done by the workers; returns when they have finished it.

    Holds ``crawl:<portal>`` like a local crawl (:class:`storage.crawl_leases.PortalBusy` when someone
    else crawls the portal and ``wait`` is false). A run that exceeds ``time_limit``, stalls
    (no worker progress for ``stall_timeout``), or is stopped, is cancelled: its remaining
    requests are dropped and the run is recorded as failed.
    """
    own_server = server is None
    server = server or connect(config.redis)
    keys = Keys(config.redis.key_prefix)
    runs = Runs(db)
    try:
        with portal_leases(Locks(db), [portal], make_holder(trigger), wait=wait, stop=stop):
            Store(db).sync_portals([config.portal(portal)])
            run_id = runs.open(portal, full=full, trigger=trigger if trigger in ("manual", "schedule") else "worker")
            tally = RunTally(server, keys, run_id)
            enqueue_run(server, keys, run_id, portal, full)
            _watch(runs, tally, time_limit=time_limit, stop=stop, stall_timeout=stall_timeout)
            return runs.summary(run_id)
    finally:
        if own_server:
            server.close()


def crawl_distributed_batch(
    db: Database,
    config: Config,
    due_at: Mapping[str, datetime],
    *,
    time_limit: float | None = None,
    stop: threading.Event | None = None,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    server: redis.Redis | None = None,
) -> tuple[list[RunSummary], list[str]]:
    """The daemon's batch for the workers: a run per free portal (recording the slot it was due
    for), seeded in one go, watched until the workers close them all; returns (summaries,
    portals left out because someone else is crawling them)."""
    own_server = server is None
    server = server or connect(config.redis)
    keys = Keys(config.redis.key_prefix)
    runs = Runs(db)
    try:
        with free_portal_leases(Locks(db), list(due_at), make_holder("schedule")) as taken:
            Store(db).sync_portals([config.portal(portal) for portal in taken])
            opened = {portal: runs.open(portal, full=False, trigger="schedule", due_at=due_at[portal]) for portal in taken}
            pipe = server.pipeline()
            for portal, run_id in opened.items():
                RunTally(pipe, keys, run_id).open(portal, False)
                pipe.rpush(keys.start_urls, json.dumps({"portal": portal, "run": run_id, "full": False}))
            pipe.execute()
            tallies = [RunTally(server, keys, run_id) for run_id in opened.values()]
            _watch_all(runs, tallies, time_limit=time_limit, stop=stop, stall_timeout=stall_timeout)
            busy = [portal for portal in due_at if portal not in opened]
            return [runs.summary(run_id) for run_id in opened.values()], busy
    finally:
        if own_server:
            server.close()


def _watch_all(runs: Runs, tallies: list[RunTally], *, time_limit: float | None, stop: threading.Event | None,
               stall_timeout: float) -> None:
    """:func:`_watch` for many runs in one loop: each is cancelled on its own stall, all on the
    time limit or shutdown."""
    started = time.monotonic()
    open_tallies = list(tallies)
    while open_tallies:
        running = runs.still_running([t.run_id for t in open_tallies])
        open_tallies = [t for t in open_tallies if t.run_id in running]
        for tally in open_tallies:
            why = _why_stop(tally, started, time_limit=time_limit, stop=stop, stall_timeout=stall_timeout)
            if why:
                _cancel(runs, tally, why)
        if open_tallies:
            (stop.wait(0.5) if stop is not None else time.sleep(0.5))


def _cancel(runs: Runs, tally: RunTally, why: str) -> None:
    tally.server.hset(tally.key, "cancelled", why)
    if tally.claim_finish():
        runs.cancel(tally.run_id, why, pages_fetched=int(tally.field("pages") or 0))


def _watch(runs: Runs, tally: RunTally, *, time_limit: float | None, stop: threading.Event | None,
           stall_timeout: float) -> None:
    """Wait until the workers close the run, or cancel it (time limit, stall, shutdown)."""
    started = time.monotonic()
    while runs.status(tally.run_id) == "running":
        why = _why_stop(tally, started, time_limit=time_limit, stop=stop, stall_timeout=stall_timeout)
        if why:
            _cancel(runs, tally, why)
            return
        (stop.wait(0.5) if stop is not None else time.sleep(0.5))


def _why_stop(tally: RunTally, started: float, *, time_limit: float | None, stop: threading.Event | None,
              stall_timeout: float) -> str | None:
    if stop is not None and stop.is_set():
        return "stopped by shutdown"
    if time_limit and time.monotonic() - started > time_limit:
        return f"time limit of {time_limit:g} s exceeded"
    activity = float(tally.field("activity") or time.time())
    if time.time() - activity > stall_timeout:
        return f"no worker made progress for {stall_timeout:g} s (no worker running?)"
    return None
