"""Named leases on the ``locks`` table, shared by every process on one database.

A lease is a row ``(name, holder, acquired_at, expires_at)``. Whoever holds an unexpired row
owns the name; the holder renews it (a heartbeat) well before it expires, so a process that
is killed outright loses its lease after at most one ``ttl`` and nobody has to clean up — at
once when the next caller runs on the same host and sees the holder's process is gone
(:mod:`storage.holders`).

Why a table and not ``flock`` or Redis: the daemon, ``eduwatch crawl``/``recrawl`` and the
distributed workers may run on different machines, and the one thing they always share is
the database. Acquisition is one conditional ``INSERT`` or ``UPDATE``, which both SQLite
(one writer at a time) and PostgreSQL (row lock, ``WHERE`` re-checked after waiting) make
atomic. Expiry is judged by the database's clock on PostgreSQL, so the skew between two
machines does not matter; SQLite is one machine, so its clock is the local one.

Names in use: ``daemon`` (one daemon per database), ``crawl:<portal>`` (one crawl per portal
at a time), ``monitor`` and ``deliver`` (one pass at a time). The daemon also publishes each
portal's next scheduled run as a row ``schedule:<portal>`` whose ``expires_at`` is that time:
a notice board for ``eduwatch status``, not a lease (nobody acquires it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Sequence

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.database import Database
from storage.holders import holder_is_gone, make_holder  # noqa: F401 — make_holder is used through this module
from storage.models import Lock, utcnow

# The leases every process on one database agrees on (the crawl lease is storage.runs').
# Defined here, on the ground floor, so the daemon and `eduwatch status` read one definition.
DAEMON_LEASE = "daemon"
DAEMON_LEASE_TTL = 30.0  # renewed every 10 s; a killed daemon frees it within 30 s
MONITOR_LEASE = "monitor"
MONITOR_LEASE_TTL = 600.0  # one change pass; generous, since it is released when the pass ends
DELIVER_LEASE = "deliver"
DELIVER_LEASE_TTL = 600.0  # one delivery pass, released when it ends
SCHEDULE_PREFIX = "schedule:"  # the daemon's notice board of next runs, not a lease
DISTRIBUTED_NOTICE = "notice:distributed"  # present while a ``daemon --distributed`` runs (status reads Redis)


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime

    def alive(self, now: datetime) -> bool:
        return self.expires_at > now


class LeaseBusy(RuntimeError):
    """The name is held by someone else; the message says by whom and since when."""

    def __init__(self, lease: Lease | None, name: str) -> None:
        self.lease = lease
        self.name = name
        if lease is None:
            super().__init__(f"{name} is busy")
        else:
            super().__init__(
                f"{name} is held by {lease.holder} since {lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC "
                f"(lease runs to {lease.expires_at:%H:%M:%S} UTC)"
            )


class Locks:
    """Acquire, renew and release named leases on one :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._postgres = db.engine.dialect.name == "postgresql"

    # --- the clock ------------------------------------------------------------------------

    def now(self, session: Session | None = None) -> datetime:
        """Naive UTC "now" by the database's clock (PostgreSQL) or this machine's (SQLite)."""
        if not self._postgres:
            return utcnow()
        if session is not None:
            return session.execute(text("SELECT clock_timestamp() AT TIME ZONE 'UTC'")).scalar_one()
        with self.db.sessions() as own:
            return own.execute(text("SELECT clock_timestamp() AT TIME ZONE 'UTC'")).scalar_one()

    # --- leases ----------------------------------------------------------------------------

    def acquire(self, name: str, holder: str, ttl: float) -> bool:
        """Take ``name`` for ``ttl`` seconds if it is free, expired, already ours, or held by a
        process of this host that is gone (:func:`storage.holders.holder_is_gone`)."""
        with self.db.transaction() as session:
            now = self.now(session)
            expires = now + timedelta(seconds=ttl)
            result = session.execute(
                update(Lock)
                .where(Lock.name == name, (Lock.expires_at <= now) | (Lock.holder == holder))
                .values(holder=holder, acquired_at=now, expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                return True
            if self._take_from_dead(session, name, holder, now, expires):
                return True
        # No row to take over: either nobody ever held it (insert) or somebody holds it now.
        try:
            with self.db.transaction() as session:
                now = self.now(session)
                session.execute(
                    insert(Lock).values(
                        name=name, holder=holder, acquired_at=now, expires_at=now + timedelta(seconds=ttl)
                    )
                )
            return True
        except IntegrityError:
            return False

    @staticmethod
    def _take_from_dead(session: Session, name: str, holder: str, now: datetime, expires: datetime) -> bool:
        """Take over a lease whose holder died on this host (the row must still be the dead one's)."""
        current = session.scalar(select(Lock.holder).where(Lock.name == name))
        if current is None or not holder_is_gone(current):
            return False
        result = session.execute(
            update(Lock)
            .where(Lock.name == name, Lock.holder == current)
            .values(holder=holder, acquired_at=now, expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def acquire_or_raise(self, name: str, holder: str, ttl: float) -> None:
        if not self.acquire(name, holder, ttl):
            raise LeaseBusy(self.get(name), name)

    def wait_acquire(
        self,
        name: str,
        holder: str,
        ttl: float,
        *,
        timeout: float | None = None,
        poll: float = 1.0,
        on_wait: Callable[[Lease | None], None] | None = None,
        stop: threading.Event | None = None,
    ) -> bool:
        """Poll until ``name`` is ours; False on timeout or when ``stop`` is set."""
        deadline = None if timeout is None else time.monotonic() + timeout
        told = False
        while True:
            if self.acquire(name, holder, ttl):
                return True
            if not told and on_wait is not None:
                on_wait(self.get(name))
                told = True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            wait = poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic()))
            if stop is not None:
                if stop.wait(wait):
                    return False
            else:
                time.sleep(wait)

    def renew(self, name: str, holder: str, ttl: float) -> bool:
        """Push our lease's expiry forward; False means it is no longer ours (expired and taken)."""
        with self.db.transaction() as session:
            now = self.now(session)
            result = session.execute(
                update(Lock)
                .where(Lock.name == name, Lock.holder == holder)
                .values(expires_at=now + timedelta(seconds=ttl))
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def renew_many(self, names: Sequence[str], holder: str, ttl: float) -> int:
        """:meth:`renew` for many leases in one statement; how many are still ours."""
        if not names:
            return 0
        with self.db.transaction() as session:
            now = self.now(session)
            result = session.execute(
                update(Lock)
                .where(Lock.name.in_(list(names)), Lock.holder == holder)
                .values(expires_at=now + timedelta(seconds=ttl))
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)

    def release_many(self, names: Sequence[str], holder: str) -> None:
        """:meth:`release` for many leases in one statement."""
        if names:
            with self.db.transaction() as session:
                session.execute(
                    delete(Lock).where(Lock.name.in_(list(names)), Lock.holder == holder)
                    .execution_options(synchronize_session=False)
                )

    def release(self, name: str, holder: str) -> bool:
        """Give ``name`` back; only the holder can (a late release never frees someone else's)."""
        with self.db.transaction() as session:
            result = session.execute(
                delete(Lock)
                .where(Lock.name == name, Lock.holder == holder)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def get(self, name: str) -> Lease | None:
        with self.db.sessions() as session:
            row = session.get(Lock, name)
            return _lease(row) if row is not None else None

    def held(self, name: str) -> Lease | None:
        """The unexpired lease on ``name``, or None when the name is free."""
        lease = self.get(name)
        return lease if lease is not None and lease.alive(self.now()) else None

    def list(self, prefix: str = "") -> list[Lease]:
        with self.db.sessions() as session:
            rows = session.scalars(select(Lock).where(Lock.name.startswith(prefix)).order_by(Lock.name))
            return [_lease(row) for row in rows]

    # --- the notice board (not leases) -------------------------------------------------------

    def publish(self, name: str, holder: str, at: datetime) -> None:
        """Write ``name`` -> ``at`` unconditionally (the daemon's next-run times)."""
        with self.db.transaction() as session:
            now = self.now(session)
            row = session.get(Lock, name)
            if row is None:
                session.add(Lock(name=name, holder=holder, acquired_at=now, expires_at=at))
            else:
                row.holder, row.acquired_at, row.expires_at = holder, now, at

    def publish_many(self, entries: dict[str, datetime], holder: str) -> None:
        """:meth:`publish` for many names in one transaction (a batch moves many next runs)."""
        if not entries:
            return
        with self.db.transaction() as session:
            now = self.now(session)
            rows = {row.name: row for row in session.scalars(select(Lock).where(Lock.name.in_(list(entries))))}
            for name, at in entries.items():
                row = rows.get(name)
                if row is None:
                    session.add(Lock(name=name, holder=holder, acquired_at=now, expires_at=at))
                else:
                    row.holder, row.acquired_at, row.expires_at = holder, now, at

    def unpublish(self, prefix: str, holder: str) -> None:
        with self.db.transaction() as session:
            session.execute(
                delete(Lock)
                .where(Lock.name.startswith(prefix), Lock.holder == holder)
                .execution_options(synchronize_session=False)
            )


def _lease(row: Lock) -> Lease:
    return Lease(row.name, row.holder, row.acquired_at, row.expires_at)


class LeaseKeeper:
    """Holds one lease and renews it from a background thread every ``ttl / 3`` seconds.

    If a renewal finds the lease gone (the process stalled longer than ``ttl`` and someone
    else took it), ``on_lost`` is called once: the holder must stop doing the guarded work.
    A failed renewal because the database is briefly unreachable is retried, not fatal,
    until the lease would have expired anyway.
    """

    def __init__(
        self,
        locks: Locks,
        name: str,
        holder: str,
        ttl: float,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.locks, self.name, self.holder, self.ttl = locks, name, holder, ttl
        self.on_lost = on_lost
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "LeaseKeeper":
        self._thread = threading.Thread(target=self._run, name=f"lease-{self.name}", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        last_ok = time.monotonic()
        while not self._stop.wait(self.ttl / 3):
            try:
                ok = self.locks.renew(self.name, self.holder, self.ttl)
            except Exception:  # database hiccup: try again next beat, unless the lease ran out
                ok = None
            if ok:
                last_ok = time.monotonic()
                continue
            if ok is False or time.monotonic() - last_ok > self.ttl:
                self.lost.set()
                if self.on_lost is not None:
                    self.on_lost(self.name)
                return

    def stop(self, release: bool = True) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if release and not self.lost.is_set():
            try:
                self.locks.release(self.name, self.holder)
            except Exception:  # the lease expires by itself; never fail a shutdown over it
                pass


class LeaseGroupKeeper:
    """Renews many leases of one holder together, from one thread, in one statement a beat.

    A daemon batch holds a ``crawl:<portal>`` lease for each of up to hundreds of portals; a
    :class:`LeaseKeeper` each would mean as many threads and renewal transactions. A lease of
    the group found lost is simply no longer renewed (it was taken after a stall); the crawl's
    own end still settles its run.
    """

    def __init__(self, locks: Locks, names: Sequence[str], holder: str, ttl: float) -> None:
        self.locks, self.names, self.holder, self.ttl = locks, list(names), holder, ttl
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-group", daemon=True)

    def start(self) -> "LeaseGroupKeeper":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self.locks.renew_many(self.names, self.holder, self.ttl)
            except Exception:  # noqa: BLE001 — database hiccup: the next beat tries again
                pass

    def stop(self, release: bool = True) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if release:
            try:
                self.locks.release_many(self.names, self.holder)
            except Exception:  # noqa: BLE001 — the leases expire by themselves
                pass
