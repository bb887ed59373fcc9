"""One delivery pass's shared state and the outbox steps every channel's lane takes.

Every message goes claim (committed) -> network -> mark (committed); a lane (one per
channel address, see :mod:`alerts.channels`) calls these, so the at-most-once rules live
in one place whatever the channel.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts import outbox, pauses
from alerts.ratelimit import SlidingWindowLimiter
from eduwatch.redact import redact
from alerts.render import Notice
from eduwatch.config import Config
from storage.database import Database

log = logging.getLogger("eduwatch.alerts")


@dataclass
class DeliveryReport:
    """Counts of alerts (not messages) per outcome of one pass; ``messages`` for --dry-run."""

    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0
    unknown: int = 0  # claims found expired this pass (parked dead, counted in ``dead`` too)
    waiting: int = 0  # pending but not due yet: their webhook's window is full (not in ``skipped``)
    next_at: datetime | None = None  # when the first of the ``waiting`` ones is due (UTC)
    paused: int = 0  # alerts held back because their channel is paused (not in ``skipped``)
    pauses: dict[str, pauses.Pause] = field(default_factory=dict)  # channel pauses running after the pass
    messages: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.dead += other.dead
        self.skipped += other.skipped
        self.unknown += other.unknown
        self.paused += other.paused
        self.pauses.update(other.pauses)
        self.messages += other.messages


@dataclass
class Outgoing:
    """One message to send: the alerts it settles and what it says."""

    channel: str  # email | wecom
    subscriber_id: int
    subscriber_name: str
    address: str  # e-mail address or webhook URL
    alerts: list[tuple[int, int]]  # (alert id, attempts as loaded: the claim's precondition)
    keys: list[str]
    notices: list[Notice]
    progress: int = 0

    @property
    def size(self) -> int:
        return len(self.alerts)


class PassState:
    """State shared by the lanes of one pass."""

    def __init__(self, db: Database, config: Config, now: datetime, limiter: SlidingWindowLimiter, max_wait: float):
        self.db = db
        self.config = config
        self.limiter = limiter
        self.max_wait = max_wait
        self._base = now
        self._start = time.monotonic()
        self.down: set[str] = set()  # channels paused during this pass: their other lanes stop too
        self.up: set[str] = set()  # channels that answered during this pass (their pause is over)

    def now(self) -> datetime:
        """The pass's clock: the given ``now`` advanced by real elapsed time."""
        return self._base + timedelta(seconds=time.monotonic() - self._start)


def claim_message(state: PassState, message: Outgoing, lease: float) -> list[outbox.Claim]:
    """Claim the message's alerts; ``message`` keeps only those this process now owns."""
    with state.db.transaction() as session:
        claims = [outbox.claim(session, alert_id, attempts, state.now(), lease) for alert_id, attempts in message.alerts]
    owned = [i for i, claim in enumerate(claims) if claim is not None]
    if len(owned) < len(claims):  # another deliverer took some: send only ours
        message.alerts = [message.alerts[i] for i in owned]
        message.keys = [message.keys[i] for i in owned]
        message.notices = [message.notices[i] for i in owned]
    return [claim for claim in claims if claim is not None]


def mark_sent(state: PassState, claims: list[outbox.Claim], progress: int = 0) -> int:
    with state.db.transaction() as session:
        at = state.now()
        for claim in claims:
            outbox.mark_progress(session, claim, progress)
        return sum(outbox.mark_sent(session, claim, at) for claim in claims)


def mark_failed(
    state: PassState,
    claims: list[outbox.Claim],
    error: str,
    report: DeliveryReport,
    *,
    permanent: bool = False,
    retry_after: float = 0.0,
    progress: int | None = None,
) -> None:
    with state.db.transaction() as session:
        for claim in claims:
            if progress is not None:
                outbox.mark_progress(session, claim, progress)
            status = outbox.mark_failed(
                session, claim, error, state.now(), state.config.delivery, permanent=permanent, retry_after=retry_after
            )
            if status == "dead":
                report.dead += 1
            else:
                report.failed += 1
    log.warning("delivery failed (%s): %s", "dead" if permanent else "will retry", redact(error))


def channel_down(
    state: PassState,
    key: str,
    error: str,
    report: DeliveryReport,
    claims: list[outbox.Claim] = (),  # type: ignore[assignment]
    *,
    progress: int | None = None,
) -> pauses.Pause:
    """The channel ``key`` failed as a whole: pause it and hand ``claims`` back at no attempt's cost."""
    with state.db.transaction() as session:
        pause = pauses.pause(session, key, error, state.now(), state.config.delivery)
        for claim in claims:
            outbox.unclaim(session, claim, pause.until, f"{key} down: {error}", progress)
    state.down.add(key)
    report.pauses[key] = pause
    report.paused += len(claims)
    log.warning("delivery: %s", pause.describe())
    return pause


def channel_up(state: PassState, key: str) -> None:
    """The channel answered: end its pause, saying so once if there was one (once per pass)."""
    if key in state.up:
        return
    state.up.add(key)
    with state.db.transaction() as session:
        if pauses.resume(session, key):
            log.info("delivery: %s answers again; its pause is over", key)
