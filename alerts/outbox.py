"""The durable outbox: alerts are written with their event and leave it at most once.

Writing. The monitor calls :func:`enqueue_alerts` right after adding an :class:`Event`, inside
its own transaction, so an event and the alerts it owes commit together or not at all. One
alert per (event, subscriber, channel); its ``idempotency_key`` (``e{event}:s{sub}:{channel}``)
is unique in the database, so enqueuing twice cannot double an alert.

Life of an alert::

    pending --claim--> sending --accepted--> sent
     ^  ^  ^  |           |--failure of this message--> failed --(backoff due)--> claim again
     |  |  |  |           |--permanent error / max_attempts--> dead
     |  |  |  |           |--process died, lease expired--> e-mail: pending (same Message-ID)
     |  |  |  |           |                                 WeCom: dead ("outcome unknown")
     |  |  '--|-----------'--the channel is down (unclaim): pending after the channel's pause
     |  '-----|-----------'--rate limit used up mid-message: release (progress kept)
     |        '--defer: the webhook's rate limit is used up (no attempt; next_attempt_at moves on)
     '-------------- eduwatch alerts retry -------------------------'

Claiming commits ``status='sending'`` and ``attempts+1`` *before* any network call. The new
``attempts`` value is the attempt token: marking (sent/failed/dead) is a conditional UPDATE
``WHERE status='sending' AND attempts=token``, so two deliverers (daemon and a manual
``eduwatch notify``) can never both send one alert, and a late marker cannot overwrite a newer
attempt. While claimed, ``next_attempt_at`` holds the claim's lease expiry.

Outages. A failure of the channel as a whole (the mail server or the webhook host down: see
:mod:`alerts.pauses`) is not this alert's: :func:`unclaim` hands it back ``pending`` and counts
the claim in ``outage_claims``, and ``max_attempts`` counts ``attempts - outage_claims`` only.
The token still moved on, so a deliverer holding an older copy of the row cannot claim it.

The crash window. If the process dies after the channel accepted a message and before the
mark commits, the alert stays ``sending``: nobody knows whether it went out. When its lease
has expired, :func:`resolve_stale_claims` decides by channel (``Channel.resend_unknown``):

- email: sent again automatically. The Message-ID is derived from the idempotency key, so the
  copy carries the same Message-ID as the first and receivers (clients, list servers) fold
  the two; an alert never arriving would be worse than one folded duplicate.
- WeCom: a robot has no idempotency at all, a resend is always a visible duplicate in the
  group. The alert goes ``dead`` with ``last_error`` starting ``outcome unknown:``, which
  ``eduwatch alerts`` shows and ``alerts retry`` can undo; the deliverer logs it once.

Errors raised *by* the channel about one message (a 5xx for one recipient, a WeCom errcode)
are that alert's attempts, retried with exponential backoff up to ``max_attempts``.

Multi-part WeCom messages record, in ``progress``, how many lines the robot has accepted;
a retry continues after them instead of repeating the first parts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from alerts.channels import CHANNELS
from alerts.matching import matches
from eduwatch.redact import redact
from eduwatch.config import DeliveryConfig
from eduwatch.event_kinds import COMMITMENTS_DUE
from storage.models import Alert, Document, Event, Portal, Subscriber, utcnow

UNKNOWN_PREFIX = "outcome unknown:"
RETRYABLE = ("pending", "failed")


def idempotency_key(event_id: int, subscriber_id: int, channel: str, target: str = "") -> str:
    """``e{event}:s{subscriber}:{channel}``, and ``:{target}`` on a many-address channel (Apprise)."""
    return f"e{event_id}:s{subscriber_id}:{channel}" + (f":{target}" if target else "")


def digest_group(event: Event) -> str:
    """The message a digest subscriber's alert joins: one per crawl run (else per day)."""
    if event.kind == COMMITMENTS_DUE:
        return month_group(event)
    if event.crawl_run_id is not None:
        return f"run:{event.crawl_run_id}"
    at = event.at or utcnow()
    return f"day:{at:%Y-%m-%d}"


def month_group(event: Event) -> str:
    """A month's ``commitments_due`` events are one digest for every subscriber who gets them."""
    return f"month:{event.at or utcnow():%Y-%m}"


def message_id(keys: list[str], from_addr: str) -> str:
    """A Message-ID that is the same for the same alert(s), so resends can be recognised."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]
    domain = from_addr.rpartition("@")[2].strip(" >") or "eduwatch.invalid"
    return f"<eduwatch.{digest}@{domain}>"


def enqueue_alerts(session: Session, event: Event) -> list[Alert]:
    """Write the alerts ``event`` owes, in the caller's transaction; return the new ones.

    Call after ``session.add(event); session.flush()`` (the event needs its id). Calling it
    again for the same event adds nothing.
    """
    if event.id is None:
        session.flush()
    document = event.document or session.get(Document, event.document_id)
    portal = event.portal if event.portal_id is not None else None
    if portal is None and event.portal_id is not None:
        portal = session.get(Portal, event.portal_id)
    existing = set(session.scalars(select(Alert.idempotency_key).where(Alert.event_id == event.id)))
    created: list[Alert] = []
    subscribers = session.scalars(select(Subscriber).where(Subscriber.active.is_(True)).order_by(Subscriber.id))
    for subscriber in subscribers:
        if not matches(subscriber, event, document, portal):
            continue
        for channel in CHANNELS:
            for target in CHANNELS[channel].addresses(subscriber):
                key = idempotency_key(event.id, subscriber.id, channel, target)
                if key in existing:
                    continue
                alert = Alert(
                    idempotency_key=key,
                    event_id=event.id,
                    subscriber_id=subscriber.id,
                    channel=channel,
                    target=target or None,
                    digest_group=digest_group(event) if subscriber.digest or event.kind == COMMITMENTS_DUE else None,
                    status="pending",
                    attempts=0,
                    progress=0,
                    next_attempt_at=event.at or utcnow(),
                )
                session.add(alert)
                created.append(alert)
    if created:
        session.flush()
    return created


# --- state transitions (each a conditional UPDATE: safe with several deliverers) -------------


@dataclass(frozen=True)
class Claim:
    """An alert this process may send: its id and the attempt token that proves it."""

    alert_id: int
    token: int


def claim(session: Session, alert_id: int, attempts: int, now: datetime, lease: float) -> Claim | None:
    """Take ``alert_id`` for sending, or None when someone else changed it first."""
    result = session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status.in_(RETRYABLE), Alert.attempts == attempts)
        .values(status="sending", attempts=attempts + 1, next_attempt_at=now + timedelta(seconds=lease))
    )
    return Claim(alert_id, attempts + 1) if result.rowcount == 1 else None


def mark_progress(session: Session, claim_: Claim, progress: int) -> None:
    session.execute(
        update(Alert)
        .where(Alert.id == claim_.alert_id, Alert.status == "sending", Alert.attempts == claim_.token)
        .values(progress=progress)
    )


def mark_sent(session: Session, claim_: Claim, sent_at: datetime) -> bool:
    result = session.execute(
        update(Alert)
        .where(Alert.id == claim_.alert_id, Alert.status == "sending", Alert.attempts == claim_.token)
        .values(status="sent", sent_at=sent_at, last_error=None)
    )
    return result.rowcount == 1


def defer(session: Session, alert_id: int, attempts: int, until: datetime) -> bool:
    """Leave an unclaimed alert ``pending`` until ``until`` (its webhook's rate limit is used up).

    Not an attempt: nothing was sent, so ``attempts`` and ``last_error`` stay as they are. The
    same precondition as :func:`claim`, so a deliverer that loaded a stale row changes nothing.
    """
    result = session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status.in_(RETRYABLE), Alert.attempts == attempts)
        .values(next_attempt_at=until)
    )
    return result.rowcount == 1


def release(session: Session, claim_: Claim, progress: int, until: datetime) -> bool:
    """Hand a claimed, partly sent message back as ``pending`` from ``until`` (rate limit mid-message).

    ``progress`` records the parts already accepted, so the next claim goes on after them.
    The attempt stays counted: ``attempts`` is the claim token and must never go back, or a
    deliverer holding a row loaded before this claim could claim it again and resend parts.
    """
    result = session.execute(
        update(Alert)
        .where(Alert.id == claim_.alert_id, Alert.status == "sending", Alert.attempts == claim_.token)
        .values(status="pending", progress=progress, next_attempt_at=until)
    )
    return result.rowcount == 1


def unclaim(session: Session, claim_: Claim, until: datetime, error: str, progress: int | None = None) -> bool:
    """The channel went down during this claim: back to ``pending`` from ``until``, no attempt spent."""
    values: dict[str, object] = {
        "status": "pending", "next_attempt_at": until, "last_error": redact(error)[:2000],
        "outage_claims": Alert.outage_claims + 1,
    }
    if progress is not None:
        values["progress"] = progress
    result = session.execute(
        update(Alert)
        .where(Alert.id == claim_.alert_id, Alert.status == "sending", Alert.attempts == claim_.token)
        .values(**values)
    )
    return result.rowcount == 1


def backoff(attempts: int, delivery: DeliveryConfig) -> float:
    """Seconds before attempt ``attempts + 1``: base, 2x base, 4x base … capped."""
    return min(delivery.backoff_max, delivery.backoff_base * 2 ** max(0, attempts - 1))


def mark_failed(
    session: Session,
    claim_: Claim,
    error: str,
    now: datetime,
    delivery: DeliveryConfig,
    *,
    permanent: bool = False,
    retry_after: float = 0.0,
) -> str:
    """Record a failed attempt: ``failed`` with backoff, or ``dead`` when it cannot succeed."""
    spent = claim_.token - (session.scalar(select(Alert.outage_claims).where(Alert.id == claim_.alert_id)) or 0)
    dead = permanent or spent >= delivery.max_attempts
    status = "dead" if dead else "failed"
    if dead and not permanent:
        error = f"{error} (gave up after {spent} attempts)"
    delay = max(backoff(spent, delivery), retry_after)
    session.execute(
        update(Alert)
        .where(Alert.id == claim_.alert_id, Alert.status == "sending", Alert.attempts == claim_.token)
        .values(status=status, last_error=redact(error)[:2000], next_attempt_at=now + timedelta(seconds=delay))
    )
    return status


def resolve_stale_claims(session: Session, now: datetime, delivery: DeliveryConfig) -> tuple[list[Alert], list[Alert]]:
    """Alerts left ``sending`` past their lease (their process died mid-send): (resent, parked).

    Channels that can resend safely (e-mail: same Message-ID) get the alert back ``pending``
    now; the others park it ``dead`` with an "outcome unknown" error for the operator.
    """
    stale = session.scalars(select(Alert).where(Alert.status == "sending", Alert.next_attempt_at < now)).all()
    resent: list[Alert] = []
    parked: list[Alert] = []
    for alert in stale:
        expired = f"{alert.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC"
        spent = alert.attempts - (alert.outage_claims or 0)
        if CHANNELS[alert.channel].resend_unknown and spent < delivery.max_attempts:
            alert.status = "pending"
            alert.next_attempt_at = now
            alert.last_error = (f"{UNKNOWN_PREFIX} the delivering process stopped during attempt {alert.attempts} "
                                f"(claim expired {expired}); sent again with the same Message-ID")
            resent.append(alert)
            continue
        alert.status = "dead"
        alert.last_error = (
            f"{UNKNOWN_PREFIX} the delivering process stopped during attempt {alert.attempts} "
            f"(claim expired {expired}); not resent to avoid a duplicate. If it never arrived: "
            f"eduwatch alerts retry {alert.id}"
        )
        parked.append(alert)
    return resent, parked


def retry(session: Session, alert_ids: list[int] | None = None, *, dead: bool = False, now: datetime | None = None) -> int:
    """Put alerts back to ``pending`` now (by id, or every ``dead`` one); returns how many.

    Attempts restart from zero, and a subscriber's WeCom error is cleared: retrying is the
    operator saying the cause has been dealt with.
    """
    query = select(Alert).where(Alert.status.in_(("failed", "dead")))
    if alert_ids:
        query = query.where(Alert.id.in_(alert_ids))
    elif dead:
        query = query.where(Alert.status == "dead")
    else:
        return 0
    alerts = session.scalars(query).all()
    for alert in alerts:
        subscriber = alert.subscriber
        if not subscriber.active:
            continue
        CHANNELS[alert.channel].unpark(subscriber)
        alert.status = "pending"
        alert.attempts = 0
        alert.outage_claims = 0
        alert.last_error = None
        alert.next_attempt_at = now or utcnow()
    session.flush()
    return sum(1 for a in alerts if a.status == "pending")


def counts(session: Session) -> dict[str, int]:
    """Alerts per status, for ``eduwatch status``."""
    rows = session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all()
    return {status: n for status, n in rows}


def waiting(session: Session, now: datetime) -> tuple[int, datetime | None]:
    """Pending alerts not due at ``now`` (a pass's start) and the first one's time: deferred ones.

    (New alerts are due when written and ``retry`` makes them due at once, so a ``pending``
    alert in the future is one the deliverer deferred; backed-off ones are ``failed``.)
    """
    count, first = session.execute(
        select(func.count(), func.min(Alert.next_attempt_at)).where(Alert.status == "pending", Alert.next_attempt_at > now)
    ).one()
    return count, first


def webhook_problems(session: Session) -> list[tuple[str, str]]:
    """(subscriber name, error) for every active subscriber whose webhook WeCom rejected."""
    rows = session.execute(
        select(Subscriber.name, Subscriber.wecom_error).where(
            Subscriber.active.is_(True), Subscriber.wecom_error.is_not(None)
        )
    ).all()
    return [(name, error) for name, error in rows]
