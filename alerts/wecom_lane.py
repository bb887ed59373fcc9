"""The WeCom lane: one per webhook, each part only when the webhook's 20-per-minute window has room.

A pass does not sit out a webhook's window (see :mod:`alerts.delivery`): messages that do
not fit stay pending with the time the window lets them go.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from enum import Enum

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import outbox
from alerts.channels import CHANNELS
from alerts.ratelimit import SlidingWindowLimiter
from eduwatch.redact import mask_webhook, redact
from alerts.parts import format_parts, pack, pieces
from alerts.render_chat import render_wecom
from alerts.sending import (
    DeliveryReport,
    Outgoing,
    PassState,
    channel_down,
    channel_up,
    claim_message,
    mark_failed,
    mark_sent,
)
from alerts.wecom import (
    BAD_WEBHOOK,
    BUSY,
    MARKDOWN_LIMIT,
    MIN_LIMIT,
    OK,
    TOO_FREQUENT,
    TOO_LONG,
    WecomTransportError,
    post_markdown,
    webhook_key,
)
from eduwatch.config import Config
from storage.models import Alert, Subscriber


def describe(message: Outgoing, config: Config) -> str:
    """What ``--dry-run`` prints for one WeCom message (the webhook key masked)."""
    content_pieces = pieces(render_wecom(message.notices))[message.progress :]
    parts = format_parts(pack(content_pieces, MARKDOWN_LIMIT), continued=message.progress > 0)
    head = f"wecom to {mask_webhook(message.address)} ({message.size} alert(s), {len(parts)} part(s))"
    return head + "\n" + "\n---\n".join(parts)


def seed_limiter(session: Session, limiter: SlidingWindowLimiter, messages: list[Outgoing], now: datetime) -> None:
    """A fresh process learns each webhook's recent sends from the database (no restart burst)."""
    for url in {m.address for m in messages if m.channel == "wecom"}:
        key = webhook_key(url)
        if limiter.seeded(key):
            continue
        since = now - timedelta(seconds=limiter.window)
        sent = session.scalars(
            select(Alert.sent_at)
            .join(Subscriber, Alert.subscriber_id == Subscriber.id)
            .where(Alert.channel == "wecom", Subscriber.wecom_webhook == url, Alert.sent_at >= since)
        ).all()
        limiter.seed(key, [(now - at).total_seconds() for at in sent if at is not None])


class _Step(Enum):
    """What a WeCom lane does after one message."""

    NEXT = "next"  # go on with the lane's next message
    STOP = "stop"  # the webhook failed: the rest waits for the next pass as it is
    DOWN = "down"  # the webhook host is down: it is paused, the rest waits for the pause
    FULL = "full"  # the window is used up before this message: it and the rest wait
    FULL_AFTER = "full after"  # used up mid-message: this one was released, the rest wait


def send_lane(state: PassState, lane: list[Outgoing]) -> DeliveryReport:
    report = DeliveryReport()
    timeout = state.config.wecom.timeout
    key = CHANNELS["wecom"].pause_key(lane[0].address)
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        for index, message in enumerate(lane):
            if key in state.down:  # another lane of this pass found the host down
                report.paused += sum(m.size for m in lane[index:])
                break
            step = _send_wecom(state, client, message, report)
            if step is _Step.NEXT:
                continue
            if step is _Step.DOWN:  # this message's alerts were counted when handed back
                report.paused += sum(m.size for m in lane[index + 1 :])
            elif step is _Step.STOP:
                report.skipped += sum(m.size for m in lane[index + 1 :])
            else:
                rest = lane[index:] if step is _Step.FULL else lane[index + 1 :]
                _defer(state, webhook_key(message.address), rest, report, queued=int(step is _Step.FULL_AFTER))
            break
    return report


def _defer(state: PassState, key: str, messages: list[Outgoing], report: DeliveryReport, queued: int = 0) -> None:
    """Leave ``messages`` pending until the window lets each start (``queued`` parts go first).

    A message is due when its parts would fit if every part before it went as soon as
    allowed; a pass that finds the window still full (WeCom refused, parts packed smaller,
    a released message longer than ``queued`` says) just defers it again.
    """
    position = queued
    with state.db.transaction() as session:
        for message in messages:
            parts = _parts(message)  # it starts when all of them fit (see _send_wecom)
            at = state.now() + timedelta(seconds=state.limiter.delay(key, position + min(parts, state.limiter.rate)))
            position += parts
            left = sum(outbox.defer(session, alert_id, attempts, at) for alert_id, attempts in message.alerts)
            report.skipped += message.size - left  # another deliverer changed them meanwhile


def _parts(message: Outgoing) -> int:
    """How many posts the rest of ``message`` takes at the documented limit."""
    all_pieces = pieces(render_wecom(message.notices))
    return len(pack(all_pieces[min(message.progress, len(all_pieces) - 1) :], MARKDOWN_LIMIT))


def _release(state: PassState, key: str, claims: list[outbox.Claim], progress: int, parts: int) -> None:
    """The window ran out between parts: hand the message back with its progress."""
    at = state.now() + timedelta(seconds=state.limiter.delay(key, min(parts, state.limiter.rate)))
    with state.db.transaction() as session:
        for claim in claims:
            outbox.release(session, claim, progress, at)


def _send_wecom(state: PassState, client: httpx.Client, message: Outgoing, report: DeliveryReport) -> _Step:
    """Send one (maybe multi-part) message, each part only when the window has room for it."""
    key = webhook_key(message.address)
    limiter = state.limiter
    all_pieces = pieces(render_wecom(message.notices))
    progress = min(message.progress, len(all_pieces) - 1)
    limit = MARKDOWN_LIMIT
    groups = pack(all_pieces[progress:], limit)
    # Start only when every part fits in the window (a part-sent message would wait half-told).
    wait = limiter.delay(key, min(len(groups), limiter.rate))
    if wait > state.max_wait:
        return _Step.FULL
    if wait > 0:
        time.sleep(wait)  # the window opens within moments (see module docstring)
    lease = len(groups) * state.config.wecom.timeout + 120
    size = message.size
    claims = claim_message(state, message, lease)
    if not claims:
        report.skipped += size  # another deliverer took it
        return _Step.NEXT
    if message.size < size:
        all_pieces = pieces(render_wecom(message.notices))
        progress = min(message.progress, len(all_pieces) - 1)
    resumed = progress > 0
    while True:
        groups = pack(all_pieces[progress:], limit)
        parts = format_parts(groups, continued=resumed)
        for group, part in zip(groups, parts):
            wait = limiter.delay(key)
            if wait > state.max_wait:  # more parts than the window holds, or packed smaller after 40058
                _release(state, key, claims, progress, len(pack(all_pieces[progress:], limit)))
                return _Step.FULL_AFTER
            if wait > 0:
                time.sleep(wait)
            try:
                answer = post_markdown(client, message.address, part)
            except WecomTransportError as exc:
                if exc.channel:  # the host, not this message: pause it, spend no attempt
                    channel_down(state, CHANNELS["wecom"].pause_key(message.address), f"WeCom: {exc}", report,
                                 claims, progress=progress)
                    return _Step.DOWN
                mark_failed(state, claims, f"WeCom: {exc}", report, progress=progress)
                return _Step.STOP
            limiter.record(key)
            channel_up(state, CHANNELS["wecom"].pause_key(message.address))  # the host answers
            if answer.errcode == OK:
                progress += len(group)
                if progress < len(all_pieces):
                    with state.db.transaction() as session:
                        for claim in claims:
                            outbox.mark_progress(session, claim, progress)
                continue
            error = f"WeCom errcode {answer.errcode}: {answer.errmsg}"
            if answer.errcode == TOO_LONG and limit > MIN_LIMIT:
                limit = max(MIN_LIMIT, limit // 2)  # pack the rest smaller and go on
                resumed = resumed or progress > 0
                break
            if answer.errcode == TOO_FREQUENT:  # WeCom counts stricter than we do: trust it
                limiter.block(key)
                mark_failed(state, claims, error, report, retry_after=limiter.window, progress=progress)
                return _Step.FULL_AFTER
            if answer.errcode == BUSY:
                mark_failed(state, claims, error, report, progress=progress)
                return _Step.STOP
            if answer.errcode == BAD_WEBHOOK:
                _reject_webhook(state, message, error)
                mark_failed(state, claims, f"{error} (webhook rejected; fix it, then: eduwatch alerts retry)", report,
                             permanent=True, progress=progress)
                return _Step.STOP
            mark_failed(state, claims, error, report, permanent=True, progress=progress)
            return _Step.NEXT
        else:
            report.sent += mark_sent(state, claims, progress)
            return _Step.NEXT


def _reject_webhook(state: PassState, message: Outgoing, error: str) -> None:
    with state.db.transaction() as session:
        subscriber = session.get(Subscriber, message.subscriber_id)
        if subscriber is not None:
            subscriber.wecom_error = redact(f"{error} at {state.now():%Y-%m-%d %H:%M} UTC ({mask_webhook(message.address)})")[:300]
