"""One daemon per database: the ``daemon`` lease (:data:`storage.locks.DAEMON_LEASE`).

A second daemon on the same database refuses to start and names the first (``host:pid``).
A lease left by a daemon that is gone is taken over at once when the old daemon ran on this
host (its pid no longer runs, or is our own after a container restart); from any other host
the lease has to expire first (:data:`storage.locks.DAEMON_LEASE_TTL`).
"""

from __future__ import annotations

import logging
import os
import socket

from monitor.shell.cli.table import show_time
from monitor.shell.logging_setup import event
from storage.holders import Holder, holder_is_gone
from storage.locks import DAEMON_LEASE, DAEMON_LEASE_TTL, Lease, Locks

log = logging.getLogger("eduwatch.daemon")


class DaemonRefused(RuntimeError):
    """Another daemon holds this database."""


def claim_daemon_lease(locks: Locks, holder: str) -> None:
    """Take the ``daemon`` lease for ``holder`` or raise :class:`DaemonRefused` saying who holds it."""
    before = locks.held(DAEMON_LEASE)  # unexpired: if we get it anyway, its holder had died here
    if locks.acquire(DAEMON_LEASE, holder, DAEMON_LEASE_TTL):
        if before is not None and before.holder != holder:
            event(log, "daemon.took_over_stale_lease", logging.WARNING, previous=before.holder)
        return
    lease = locks.get(DAEMON_LEASE)
    if lease is not None and _stale_on_this_host(lease):
        locks.release(DAEMON_LEASE, lease.holder)
        if locks.acquire(DAEMON_LEASE, holder, DAEMON_LEASE_TTL):
            event(log, "daemon.took_over_stale_lease", logging.WARNING, previous=lease.holder)
            return
        lease = locks.get(DAEMON_LEASE)
    raise DaemonRefused(_refusal(lease))


def _stale_on_this_host(lease: Lease) -> bool:
    """A lease left by a daemon of this host whose process is gone, or whose pid is now ours
    (a container restart: the old daemon had our pid, so it cannot be running)."""
    who = Holder.parse(lease.holder)
    if who.role != "daemon" or who.host != socket.gethostname() or who.pid is None:
        return False
    return who.pid == os.getpid() or holder_is_gone(lease.holder)


def _refusal(lease: Lease | None) -> str:
    if lease is None:
        return "another daemon is starting on this database; try again in a few seconds"
    return (
        f"another eduwatch daemon is already running on this database: {lease.holder}, "
        f"started {show_time(lease.acquired_at, labelled=True)}, lease valid until {show_time(lease.expires_at, labelled=True)}. "
        f"Stop that one first; if its process is gone, its lease expires by itself within "
        f"{int(DAEMON_LEASE_TTL)} s."
    )
