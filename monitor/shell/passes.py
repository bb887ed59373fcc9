"""After a crawl: the change pass, then delivery — one of each at a time per database.

Each pass holds a short lease (:data:`storage.locks.MONITOR_LEASE` /
:data:`storage.locks.DELIVER_LEASE`) so a CLI command and the daemon never run the same pass
twice at once; a busy pass is skipped (its outcome names the holder), since its holder is doing
the same work. A holder that died on this host does not block anyone: its lease is taken over
at once (:func:`storage.holders.holder_is_gone`).
"""

from __future__ import annotations

from typing import Any

from alerts.delivery import deliver_pending
from eduwatch.config import Config
from monitor.changes.commitments.due_digest import make_due_events
from monitor.changes.revisions import run_monitor
from storage.database import Database
from storage.locks import DELIVER_LEASE, DELIVER_LEASE_TTL, MONITOR_LEASE, MONITOR_LEASE_TTL, Locks, make_holder

MONITOR_WAIT = 60.0  # a crawl's change pass waits this long for another one to end


def monitor_and_deliver(db: Database, config: Config, *, deliver: bool = True) -> dict[str, Any]:
    """Turn stored changes into events and alerts, then (``deliver``) send what is due."""
    outcome: dict[str, Any] = {}
    locks = Locks(db)
    holder = make_holder(MONITOR_LEASE)
    if locks.wait_acquire(MONITOR_LEASE, holder, ttl=MONITOR_LEASE_TTL, timeout=MONITOR_WAIT, poll=0.5):
        try:
            outcome["monitor"] = _as_fields(run_monitor(db))
            outcome["commitments_due"] = make_due_events(db)  # once a month; a no-op otherwise
        finally:
            locks.release(MONITOR_LEASE, holder)
    else:
        outcome["monitor"] = _busy(locks, MONITOR_LEASE)
    if deliver:
        outcome["deliver"] = deliver_once(db, config)
    return outcome


def deliver_once(db: Database, config: Config) -> Any:
    """One delivery pass, or ``"busy"`` when another process is delivering."""
    locks = Locks(db)
    holder = make_holder(DELIVER_LEASE)
    if not locks.acquire(DELIVER_LEASE, holder, ttl=DELIVER_LEASE_TTL):
        return _busy(locks, DELIVER_LEASE)
    try:
        return _as_fields(deliver_pending(db, config))
    finally:
        locks.release(DELIVER_LEASE, holder)


def _busy(locks: Locks, name: str) -> str:
    """``busy (held by daemon@host:pid…)``: the log line says who, so an operator can look."""
    lease = locks.held(name)
    return f"busy (held by {lease.holder} since {lease.acquired_at:%H:%M:%S} UTC)" if lease else "busy"


def _as_fields(report: Any) -> Any:
    """A pass's report as flat fields for a log line."""
    if report is None:
        return None
    if hasattr(report, "__dataclass_fields__"):
        return {k: v for k, v in vars(report).items() if isinstance(v, (int, float, str, bool))}
    return str(report)

