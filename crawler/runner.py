"""Crawl many portals in bounded child processes: the one entry every caller uses.

* :func:`crawl_portals_locked` — the product's crawl (the daemon, ``eduwatch crawl`` and
  ``eduwatch recrawl``): holds each portal's ``crawl:<portal>`` lease for the whole call, so
  no portal is crawled twice at once, on one machine or several.
* :func:`crawl_portals` — the same crawl without the leases: the portals are split into
  children of at most ``[crawl] portals_per_process`` portals, ``[crawl] processes`` at a time
  (:mod:`crawler.batches`), each a :class:`crawler.supervisor.CrawlChild` with its own limits;
  a child that dies fails only its own portals' runs.
* :func:`crawl_due` — the daemon's batch of due portals: busy ones are left out, not waited
  for, and each run records the schedule slot it was due for.
* :func:`run_crawl` — :func:`crawl_portals` by configuration path, as the tests and the
  benchmarks call it.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime
from typing import Mapping, Sequence

from crawler.batches import describe_split, memory_warning, run_batches, split_portals
from crawler.supervisor import KILL_GRACE, CrawlChild, CrawlLimits, CrawlOrder, Progress
from eduwatch.config import Config, load_config
from storage.database import Database
from storage.locks import Locks, make_holder
from storage.runs import RunSummary
from storage.crawl_leases import free_portal_leases, portal_leases

log = logging.getLogger("eduwatch.crawl")


def crawl_portals(
    db: Database,
    order: CrawlOrder,
    portals: Sequence[str],
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> list[RunSummary]:
    """Crawl ``portals`` in children of bounded size; one summary per portal, in input order.

    Raises ConfigError for an unknown portal, before anything runs.
    """
    names = list(dict.fromkeys(portals))
    for name in names:
        order.config.portal(name)
    per_process, processes = order.config.crawl.portals_per_process, order.config.crawl.processes
    batches = split_portals(names, per_process)
    if len(batches) > 1 and progress is not None:
        progress(describe_split(batches, per_process, processes))
    warning = memory_warning(batches, order.limits.memory_mb or order.config.daemon.crawl_memory_mb)
    if warning:
        (progress or log.warning)(warning)

    def crawl_batch(index: int, batch: list[str]) -> list[RunSummary]:
        return CrawlChild(db, order, batch, progress=progress).run(stop=stop)

    return run_batches(batches, crawl_batch, processes)


def crawl_portals_locked(
    config_or_path: str | Config | None,
    portals: Sequence[str],
    *,
    full: bool = False,
    trigger: str = "manual",
    wait: bool = True,
    progress: Progress | None = None,
    wait_timeout: float | None = None,
    limits: CrawlLimits | None = None,
    stop: threading.Event | None = None,
    db: Database | None = None,
    extra_args: Sequence[str] = (),
    module: str = "crawler.run",
) -> list[RunSummary]:
    """:func:`crawl_portals` while holding every portal's ``crawl:<portal>`` lease.

    ``limits`` default to the configured memory limit per child. ``wait=False`` raises
    :class:`storage.crawl_leases.PortalBusy` (saying who holds it) instead of waiting.
    """
    config, config_path = _config(config_or_path)
    order = CrawlOrder(config, config_path, full=full, trigger=trigger,
                       limits=limits or CrawlLimits(memory_mb=config.daemon.crawl_memory_mb),
                       extra_args=tuple(extra_args), module=module)
    database = db or Database(config.database.url)
    try:
        holder = make_holder(trigger)
        with portal_leases(Locks(database), portals, holder, wait=wait, progress=progress,
                           wait_timeout=wait_timeout, stop=stop):
            return crawl_portals(database, order, portals, progress=progress, stop=stop)
    finally:
        if db is None:
            database.dispose()


def crawl_due(
    config: Config,
    config_path: str | None,
    due_at: Mapping[str, datetime],
    *,
    limits: CrawlLimits,
    stop: threading.Event | None = None,
    db: Database,
    holder: str | None = None,
) -> tuple[list[RunSummary], list[str]]:
    """The daemon's batch: crawl the portals of ``due_at`` that nobody else is crawling, each
    run recording the slot it was due for; returns (summaries, portals left out as busy).

    Busy portals (a manual recrawl holds the lease) are left out rather than waited for: the
    holder does the same work. The rest go through :func:`crawl_portals`, so a batch larger
    than ``[crawl] portals_per_process`` is split like any other crawl.
    """
    order = CrawlOrder(config, config_path, trigger="schedule", limits=limits, due_at=dict(due_at))
    with free_portal_leases(Locks(db), list(due_at), holder or make_holder("schedule")) as taken:
        busy = [portal for portal in due_at if portal not in taken]
        return (crawl_portals(db, order, taken, stop=stop) if taken else []), busy


def run_crawl(
    config_path: str | None,
    portals: Sequence[str],
    *,
    full: bool = False,
    trigger: str = "manual",
    timeout: float | None = None,
    progress: Progress | None = None,
) -> list[RunSummary]:
    """Crawl ``portals`` (no leases, no memory limit) and return one summary per portal.

    ``timeout``: each portal's spider closes after that many seconds and its run is recorded
    as failed ("time limit reached"), keeping what it saved; a child that does not exit
    ``KILL_GRACE`` seconds later is stopped and its unfinished runs are marked failed.
    Raises ConfigError for a bad file or an unknown portal, before anything runs.
    """
    config = load_config(config_path)
    order = CrawlOrder(config, config_path, full=full, trigger=trigger,
                       limits=CrawlLimits(spider_time_limit=timeout, kill_grace=KILL_GRACE))
    db = Database(config.database.url)
    try:
        return crawl_portals(db, order, portals, progress=progress)
    finally:
        db.dispose()


def _config(config_or_path: str | Config | None) -> tuple[Config, str | None]:
    """The configuration and the file a child should read it from (None: built in)."""
    if isinstance(config_or_path, Config):
        source = config_or_path.source
        return config_or_path, None if source.startswith("<") else source
    path = config_or_path or os.environ.get("EDUWATCH_CONFIG") or None
    return load_config(path), path
