"""Why ``eduwatch notify`` skipped alerts, in words an operator can act on.

:class:`alerts.delivery.DeliveryReport` only counts skipped alerts. The outbox still holds
each of them, due and unsent, with what kept it back (its subscriber's channel, its digest
group), so the reasons are read from there after the pass. Alerts a pass deferred or that
failed have a later ``next_attempt_at`` and are not counted here.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import outbox
from alerts.channels import CHANNELS
from alerts.delivery import DIGEST_GRACE
from storage.models import Alert, Subscriber


def skip_reasons(
    session: Session, due_by: datetime, skipped: int, limit: int | None, paused: set[str] = frozenset()  # type: ignore[assignment]
) -> Counter[str]:
    """How many alerts due at ``due_by`` (the pass's start) were held back, per reason.

    ``skipped`` is the pass's own count: what the outbox does not explain was taken
    by another deliverer meanwhile (it is ``sending`` or ``sent`` now). Alerts of a
    ``paused`` channel (pause keys, alerts.pauses) are not skipped: notify reports the pause.
    """
    held = session.scalars(
        select(Alert)
        .join(Subscriber, Alert.subscriber_id == Subscriber.id)
        .where(Alert.status.in_(outbox.RETRYABLE), Alert.next_attempt_at <= due_by, Subscriber.active.is_(True))
    )
    reasons: Counter[str] = Counter(_reason(alert, limit) for alert in held if not _paused(alert, paused))
    elsewhere = skipped - sum(reasons.values())
    if elsewhere > 0:
        reasons["taken by another eduwatch deliverer running at the same time"] += elsewhere
    return reasons


def _paused(alert: Alert, paused: set[str]) -> bool:
    channel = CHANNELS[alert.channel]
    address = channel.address(alert.subscriber, alert.target)
    return bool(address) and channel.pause_key(address) in paused


def _reason(alert: Alert, limit: int | None) -> str:
    """The first thing that keeps this alert back, checked in the order the deliverer does."""
    subscriber = alert.subscriber
    channel = CHANNELS[alert.channel]
    if not channel.address(subscriber, alert.target):
        if alert.target:
            return f"subscriber {subscriber.name} no longer lists the Apprise URL this alert was for"
        return f"subscriber {subscriber.name} has no {channel.label}"
    if channel.parked(subscriber):
        return (f"WeCom rejected the webhook key of subscriber {subscriber.name}; fix it in the configuration, "
                "then: eduwatch alerts retry --dead")
    if alert.digest_group:
        minutes = int(DIGEST_GRACE.total_seconds() // 60)
        return (f"digest not due yet: it goes out once its crawl run is monitored, "
                f"or {minutes} min after its first alert")
    if limit is not None:
        return f"over --limit {limit}: the next notify sends them"
    return "held for the next pass: an earlier message on the same channel failed in this pass"
