"""The deliverer: sends what the outbox holds, each webhook and the mail server on its own lane.

One pass (:func:`deliver_pending`):

1. settles claims whose lease expired (their process died mid-send: e-mail is sent again with
   the same Message-ID, WeCom parked for the operator; see :mod:`alerts.outbox`);
2. loads due alerts (``pending``, or ``failed`` whose backoff is over) and groups them into
   messages: one per alert, or one per digest group (a subscriber's events of one crawl run,
   sent once the run has been monitored or :data:`DIGEST_GRACE` has passed); messages for a
   paused channel (the mail server or webhook host found down: :mod:`alerts.pauses`) stay
   where they are, unclaimed, until the pause ends;
3. sends each lane in its own thread: the SMTP server is one lane, every WeCom webhook another,
   so a rate-limited or broken webhook never holds back the others. Within a WeCom lane the
   :class:`~alerts.ratelimit.SlidingWindowLimiter` decides what may go now.

A pass does not sit out a webhook's window: the daemon's other work (and its next pass)
waits for the pass to return. Messages whose webhook has used up its 20 per minute stay
``pending`` with ``next_attempt_at`` set to when the window lets them go
(:func:`alerts.outbox.defer`, not an attempt); the report counts them as ``waiting`` with the
earliest ``next_at``, and a later pass sends them. Only a window that opens within
``max_wait`` (2 s) is waited for, and a pass also takes alerts due within that time: the
daemon's passes come a fixed interval apart, and the window of a burst sent by one pass opens
a fraction of a second after the pass one interval later starts; without the slack that pass
would leave the whole batch to the one after. The window itself survives restarts: a fresh
process seeds it from the ``sent_at`` of the webhook's recent alerts.

Every message goes claim (committed) -> network -> mark (committed). A process that dies
between the network and the mark is the window the outbox design is about (the tests kill
one there: ``tests/alerts/deliver_once.py``).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import outbox, pauses
from alerts.channels import CHANNELS
from alerts.matching import match_reasons
from alerts.ratelimit import SlidingWindowLimiter, shared_limiter
from alerts.render import link_to_web, notice_from_event, show_in_zone
from alerts.sending import DeliveryReport, Outgoing, PassState
from alerts.wecom_lane import seed_limiter
from eduwatch.config import Config
from storage.database import Database
from storage.models import Alert, Subscriber, utcnow
from storage.runs import is_monitored

log = logging.getLogger("eduwatch.alerts")

DIGEST_GRACE = timedelta(minutes=30)
__all__ = ["DIGEST_GRACE", "DeliveryReport", "Outgoing", "deliver_pending"]


def deliver_pending(
    db: Database,
    config: Config,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    limiter: SlidingWindowLimiter | None = None,
    max_wait: float = 2.0,
) -> DeliveryReport:
    """Send every due alert once; see the module docstring. ``limit`` caps alerts per pass.

    ``max_wait``: seconds a WeCom lane may wait for its window to open; alerts due within as
    long are taken too (see the module docstring).
    """
    now = now or utcnow()
    horizon = now + timedelta(seconds=max_wait)
    limiter = limiter or shared_limiter(config.wecom.rate_per_minute)
    report = DeliveryReport()
    with db.transaction() as session:
        if not dry_run:
            _resolve_stale(session, now, config, report)
        messages, skipped = _load(session, now, horizon, limit)
        link_to_web([n for m in messages for n in m.notices], config.web.public_url)  # [web] public_url
        show_in_zone([n for m in messages for n in m.notices], config.display.timezone)
        report.skipped += skipped
        report.pauses = pauses.paused(session, now)
        messages = _without_paused(messages, report)
        if not dry_run:
            seed_limiter(session, limiter, messages, now)
    if dry_run:
        report.messages = [CHANNELS[m.channel].module().describe(m, config) for m in messages]
        report.skipped += sum(m.size for m in messages)
        return report
    lanes: dict[str, list[Outgoing]] = {}
    for message in messages:
        lanes.setdefault(CHANNELS[message.channel].lane(message.address), []).append(message)
    state = PassState(db, config, now, limiter, max_wait)
    if lanes:
        with ThreadPoolExecutor(max_workers=min(8, len(lanes)), thread_name_prefix="eduwatch-deliver") as pool:
            futures = [
                pool.submit(CHANNELS[lane[0].channel].module().send_lane, state, lane) for lane in lanes.values()
            ]
            for future in futures:
                report.add(future.result())
    with db.transaction() as session:  # deferred by this pass or an earlier one: a later pass sends them
        report.waiting, report.next_at = outbox.waiting(session, horizon)
        report.pauses = pauses.paused(session, state.now())
    if lanes:
        log.info(
            "delivery: %d sent, %d failed, %d dead, %d skipped, %d waiting for the rate limit, %d for a paused channel",
            report.sent, report.failed, report.dead, report.skipped, report.waiting, report.paused,
        )
    return report


def _resolve_stale(session: Session, now: datetime, config: Config, report: DeliveryReport) -> None:
    """Claims of a dead process: e-mail goes again (same Message-ID), WeCom is parked, told once."""
    resent, parked = outbox.resolve_stale_claims(session, now, config.delivery)
    for alert in resent:
        log.warning("delivery: alert %d (%s) had an unknown outcome; sending it again with the same Message-ID",
                    alert.id, alert.channel)
    for alert in parked:  # parked dead: this is the one time the deliverer mentions it
        log.warning("delivery: alert %d (%s) had an unknown outcome; parked dead, not resent (a duplicate "
                    "could not be taken back). If it never arrived: eduwatch alerts retry %d",
                    alert.id, alert.channel, alert.id)
    report.unknown = len(parked)
    report.dead += len(parked)


def _without_paused(messages: list[Outgoing], report: DeliveryReport) -> list[Outgoing]:
    """Messages whose channel is not paused; the others wait for the pause, claiming nothing."""
    kept = []
    for message in messages:
        if CHANNELS[message.channel].pause_key(message.address) in report.pauses:
            report.paused += message.size
        else:
            kept.append(message)
    return kept


# --- loading ---------------------------------------------------------------------------------


def _load(session: Session, now: datetime, due_by: datetime, limit: int | None) -> tuple[list[Outgoing], int]:
    query = (
        select(Alert)
        .join(Subscriber, Alert.subscriber_id == Subscriber.id)
        .where(Alert.status.in_(outbox.RETRYABLE), Alert.next_attempt_at <= due_by, Subscriber.active.is_(True))
        .order_by(Alert.id)
    )
    alerts = session.scalars(query).all()
    messages: dict[tuple[object, ...], Outgoing] = {}
    skipped = 0
    held_groups: dict[tuple[int, str, str], bool] = {}
    taken = 0
    for alert in alerts:
        subscriber = alert.subscriber
        channel = CHANNELS[alert.channel]
        address = channel.address(subscriber, alert.target)
        if not address or channel.parked(subscriber):
            skipped += 1  # parked until the operator fixes the webhook (shown by `eduwatch alerts`)
            continue
        if alert.digest_group:
            group = (subscriber.id, alert.channel, alert.digest_group)
            if group not in held_groups:
                held_groups[group] = not _digest_due(session, alert.digest_group, group, now)
            if held_groups[group]:
                skipped += 1
                continue
            key: tuple[object, ...] = (*group, alert.target or "")
        else:
            key = ("alert", alert.id)
        message = messages.get(key)
        if message is None:
            if limit is not None and taken >= limit:
                skipped += 1
                continue
            message = messages[key] = Outgoing(
                channel=alert.channel,
                subscriber_id=subscriber.id,
                subscriber_name=subscriber.name,
                address=address,
                alerts=[],
                keys=[],
                notices=[],
                progress=alert.progress or 0,
            )
        event = alert.event
        reasons = match_reasons(subscriber, event, event.document, event.portal) or []
        message.alerts.append((alert.id, alert.attempts))
        message.keys.append(alert.idempotency_key)
        message.notices.append(notice_from_event(event, reasons))
        message.progress = min(message.progress, alert.progress or 0)
        taken += 1
    return list(messages.values()), skipped


def _digest_due(session: Session, group_name: str, group: tuple[int, str, str], now: datetime) -> bool:
    """A digest goes out when its crawl run is fully monitored, or after DIGEST_GRACE."""
    if group_name.startswith("month:"):
        return True  # the month's commitments_due events are written in one transaction: all there
    if group_name.startswith("run:"):
        run_id = group_name[4:]
        if run_id.isdigit() and is_monitored(session, int(run_id)):
            return True
    oldest = session.scalar(
        select(Alert.created_at)
        .where(Alert.subscriber_id == group[0], Alert.channel == group[1], Alert.digest_group == group[2])
        .order_by(Alert.created_at)
        .limit(1)
    )
    if group_name.startswith("day:"):
        return now.strftime("%Y-%m-%d") > group_name[4:] or (oldest is not None and oldest + DIGEST_GRACE <= now)
    return oldest is not None and oldest + DIGEST_GRACE <= now
