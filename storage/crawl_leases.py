"""The ``crawl:<portal>`` lease: at most one crawl of a portal at a time, on every machine.

Every crawl — the CLI's, the daemon's batches, a distributed run's scheduler side — holds
its portals' leases while it runs, so a crawl run of a portal whose lease someone just took
belongs to a process that is gone (:meth:`storage.runs.Runs.fail_orphans` closes it).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

from storage.locks import Lease, LeaseBusy, LeaseGroupKeeper, LeaseKeeper, Locks
from storage.runs import Runs

CRAWL_LEASE_PREFIX = "crawl:"
CRAWL_LEASE_TTL = 60.0  # renewed every 20 s while the crawl runs; a killed holder frees it in 60 s


def crawl_lease(portal: str) -> str:
    """The lease name that guards crawling ``portal``."""
    return f"{CRAWL_LEASE_PREFIX}{portal}"


class PortalBusy(LeaseBusy):
    """A portal is being crawled by someone else and the caller asked not to wait (or gave up)."""

    def __init__(self, lease: Lease | None, portal: str) -> None:
        super().__init__(lease, crawl_lease(portal))
        self.portal = portal
        self.args = (f"portal {portal} is being crawled: {self.args[0]}",)


# --- holding leases ------------------------------------------------------------------------------


@contextmanager
def portal_leases(
    locks: Locks,
    portals: Sequence[str],
    holder: str,
    *,
    wait: bool,
    progress: Callable[[str], None] | None = None,
    wait_timeout: float | None = None,
    stop: threading.Event | None = None,
) -> Iterator[list[LeaseKeeper]]:
    """Hold ``crawl:<portal>`` for each portal, renewed, for the ``with`` block.

    Taken in name order, so two callers waiting for overlapping sets never deadlock.
    ``wait=False`` raises :class:`PortalBusy` (saying who holds it) instead of waiting.
    """
    keepers: list[LeaseKeeper] = []
    try:
        for portal in sorted(set(portals)):
            name = crawl_lease(portal)
            if wait:
                _wait_for(locks, portal, holder, progress=progress, wait_timeout=wait_timeout, stop=stop)
            elif not locks.acquire(name, holder, CRAWL_LEASE_TTL):
                raise PortalBusy(locks.get(name), portal)
            keepers.append(LeaseKeeper(locks, name, holder, CRAWL_LEASE_TTL).start())
        Runs(locks.db).fail_orphans(portals)
        yield keepers
    finally:
        for keeper in keepers:
            keeper.stop(release=True)


@contextmanager
def free_portal_leases(locks: Locks, portals: Sequence[str], holder: str) -> Iterator[list[str]]:
    """Hold ``crawl:<portal>`` for each portal nobody else is crawling; yields those portals
    (input order). The daemon's batches use it: a busy portal (a manual recrawl) is left out
    of the batch instead of failing it, since its holder is doing the same work. One thread
    renews them all (:class:`storage.locks.LeaseGroupKeeper`)."""
    taken = [portal for portal in dict.fromkeys(portals) if locks.acquire(crawl_lease(portal), holder, CRAWL_LEASE_TTL)]
    keeper = LeaseGroupKeeper(locks, [crawl_lease(portal) for portal in taken], holder, CRAWL_LEASE_TTL).start()
    try:
        Runs(locks.db).fail_orphans(taken)
        yield taken
    finally:
        keeper.stop(release=True)


def _wait_for(locks: Locks, portal: str, holder: str, *, progress: Callable[[str], None] | None,
              wait_timeout: float | None, stop: threading.Event | None) -> None:
    name = crawl_lease(portal)

    def told(lease: Lease | None) -> None:
        who = f"{lease.holder} since {lease.acquired_at:%H:%M:%S} UTC" if lease else "another process"
        if progress is not None:
            progress(f"{portal}: waiting, a crawl is running ({who})")

    if not locks.wait_acquire(name, holder, CRAWL_LEASE_TTL, timeout=wait_timeout, on_wait=told, stop=stop):
        raise PortalBusy(locks.held(name), portal)


def busy_portals(locks: Locks) -> set[str]:
    """Portals whose crawl lease is held right now."""
    now = locks.now()
    return {lease.name[len(CRAWL_LEASE_PREFIX):] for lease in locks.list(CRAWL_LEASE_PREFIX) if lease.alive(now)}
