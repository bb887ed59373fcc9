"""The deliverer: sends what the outbox holds, each webhook and the mail server on its own lane.

One pass (:func:`deliver_pending`):

1. parks claims whose lease expired (their process died mid-send: see :mod:`alerts.outbox`);
2. loads due alerts (``pending``, or ``failed`` whose backoff is over) and groups them into
   messages: one per alert, or one per digest group (a subscriber's events of one crawl run,
   sent once the run has been monitored or :data:`DIGEST_GRACE` has passed);
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
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import outbox
from alerts.mailer import MailError, SmtpMailer
from alerts.matching import match_reasons
from alerts.ratelimit import SlidingWindowLimiter, shared_limiter
from alerts.redact import mask_webhook, redact
from alerts.render import Notice, notice_from_event, render_email, render_wecom
from alerts.wecom import (
    BAD_WEBHOOK,
    BUSY,
    MARKDOWN_LIMIT,
    MIN_LIMIT,
    OK,
    TOO_FREQUENT,
    TOO_LONG,
    WecomTransportError,
    format_parts,
    pack,
    pieces,
    post_markdown,
    webhook_key,
)
from eduwatch.config import Config
from storage.database import Database
from storage.models import Alert, Subscriber, utcnow
from storage.runs import is_monitored

log = logging.getLogger("eduwatch.alerts")

DIGEST_GRACE = timedelta(minutes=30)


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
    messages: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.dead += other.dead
        self.skipped += other.skipped
        self.unknown += other.unknown
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


class _Pass:
    """State shared by the lanes of one pass."""

    def __init__(self, db: Database, config: Config, now: datetime, limiter: SlidingWindowLimiter, max_wait: float):
        self.db = db
        self.config = config
        self.limiter = limiter
        self.max_wait = max_wait
        self._base = now
        self._start = time.monotonic()

    def now(self) -> datetime:
        """The pass's clock: the given ``now`` advanced by real elapsed time."""
        return self._base + timedelta(seconds=time.monotonic() - self._start)


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
            report.unknown = outbox.resolve_stale_claims(session, now)
            report.dead += report.unknown
        messages, skipped = _load(session, now, horizon, limit)
        report.skipped += skipped
        if not dry_run:
            _seed_limiter(session, limiter, messages, now)
    if dry_run:
        report.messages = [_describe(m, config) for m in messages]
        report.skipped += sum(m.size for m in messages)
        return report
    lanes: dict[str, list[Outgoing]] = {}
    for message in messages:
        lanes.setdefault("email" if message.channel == "email" else f"wecom:{message.address}", []).append(message)
    state = _Pass(db, config, now, limiter, max_wait)
    if lanes:
        with ThreadPoolExecutor(max_workers=min(8, len(lanes)), thread_name_prefix="eduwatch-deliver") as pool:
            futures = [
                pool.submit(_email_lane if name == "email" else _wecom_lane, state, lane) for name, lane in lanes.items()
            ]
            for future in futures:
                report.add(future.result())
    with db.transaction() as session:  # deferred by this pass or an earlier one: a later pass sends them
        report.waiting, report.next_at = outbox.waiting(session, horizon)
    if lanes:
        log.info(
            "delivery: %d sent, %d failed, %d dead, %d skipped, %d waiting for the rate limit",
            report.sent, report.failed, report.dead, report.skipped, report.waiting,
        )
    return report


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
        address = subscriber.email if alert.channel == "email" else subscriber.wecom_webhook
        if not address or (alert.channel == "wecom" and subscriber.wecom_error):
            skipped += 1  # parked until the operator fixes the webhook (shown by `eduwatch alerts`)
            continue
        if alert.digest_group:
            group = (subscriber.id, alert.channel, alert.digest_group)
            if group not in held_groups:
                held_groups[group] = not _digest_due(session, alert.digest_group, group, now)
            if held_groups[group]:
                skipped += 1
                continue
            key: tuple[object, ...] = group
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


def _seed_limiter(session: Session, limiter: SlidingWindowLimiter, messages: list[Outgoing], now: datetime) -> None:
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


def _describe(message: Outgoing, config: Config) -> str:
    if message.channel == "email":
        rendered = render_email(
            message.notices,
            to_addr=message.address,
            from_addr=config.email.from_addr,
            message_id=outbox.message_id(message.keys, config.email.from_addr),
            subscriber_name=message.subscriber_name,
        )
        return f"email to {message.address} ({message.size} alert(s)): {rendered['Subject']}"
    content_pieces = pieces(render_wecom(message.notices))[message.progress :]
    parts = format_parts(pack(content_pieces), continued=message.progress > 0)
    head = f"wecom to {mask_webhook(message.address)} ({message.size} alert(s), {len(parts)} part(s))"
    return head + "\n" + "\n---\n".join(parts)


# --- marking -----------------------------------------------------------------------------------


def _claim(state: _Pass, message: Outgoing, lease: float) -> list[outbox.Claim]:
    """Claim the message's alerts; ``message`` keeps only those this process now owns."""
    with state.db.transaction() as session:
        claims = [outbox.claim(session, alert_id, attempts, state.now(), lease) for alert_id, attempts in message.alerts]
    owned = [i for i, claim in enumerate(claims) if claim is not None]
    if len(owned) < len(claims):  # another deliverer took some: send only ours
        message.alerts = [message.alerts[i] for i in owned]
        message.keys = [message.keys[i] for i in owned]
        message.notices = [message.notices[i] for i in owned]
    return [claim for claim in claims if claim is not None]


def _mark_sent(state: _Pass, claims: list[outbox.Claim], progress: int = 0) -> int:
    with state.db.transaction() as session:
        at = state.now()
        for claim in claims:
            outbox.mark_progress(session, claim, progress)
        return sum(outbox.mark_sent(session, claim, at) for claim in claims)


def _mark_failed(
    state: _Pass,
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


# --- lanes -------------------------------------------------------------------------------------


def _email_lane(state: _Pass, lane: list[Outgoing]) -> DeliveryReport:
    report = DeliveryReport()
    cfg = state.config.email
    mailer = SmtpMailer(cfg)
    lease = cfg.timeout * 4 + 120
    try:
        for index, message in enumerate(lane):
            size = message.size
            claims = _claim(state, message, lease)
            if not claims:
                report.skipped += size  # another deliverer took it
                continue
            rendered = render_email(
                message.notices,
                to_addr=message.address,
                from_addr=cfg.from_addr,
                message_id=outbox.message_id(message.keys, cfg.from_addr),
                subscriber_name=message.subscriber_name,
            )
            try:
                mailer.send(rendered)
            except MailError as exc:
                _mark_failed(state, claims, str(exc), report, permanent=exc.permanent)
                if exc.connection:  # the server is unreachable: the rest waits for the next pass
                    report.skipped += sum(m.size for m in lane[index + 1 :])
                    break
                continue
            report.sent += _mark_sent(state, claims)
    finally:
        mailer.close()
    return report


class _Step(Enum):
    """What a WeCom lane does after one message."""

    NEXT = "next"  # go on with the lane's next message
    STOP = "stop"  # the webhook failed: the rest waits for the next pass as it is
    FULL = "full"  # the window is used up before this message: it and the rest wait
    FULL_AFTER = "full after"  # used up mid-message: this one was released, the rest wait


def _wecom_lane(state: _Pass, lane: list[Outgoing]) -> DeliveryReport:
    report = DeliveryReport()
    timeout = state.config.wecom.timeout
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        for index, message in enumerate(lane):
            step = _send_wecom(state, client, message, report)
            if step is _Step.NEXT:
                continue
            if step is _Step.STOP:
                report.skipped += sum(m.size for m in lane[index + 1 :])
            else:
                rest = lane[index:] if step is _Step.FULL else lane[index + 1 :]
                _defer(state, webhook_key(message.address), rest, report, queued=int(step is _Step.FULL_AFTER))
            break
    return report


def _defer(state: _Pass, key: str, messages: list[Outgoing], report: DeliveryReport, queued: int = 0) -> None:
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


def _release(state: _Pass, key: str, claims: list[outbox.Claim], progress: int, parts: int) -> None:
    """The window ran out between parts: hand the message back with its progress."""
    at = state.now() + timedelta(seconds=state.limiter.delay(key, min(parts, state.limiter.rate)))
    with state.db.transaction() as session:
        for claim in claims:
            outbox.release(session, claim, progress, at)


def _send_wecom(state: _Pass, client: httpx.Client, message: Outgoing, report: DeliveryReport) -> _Step:
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
    claims = _claim(state, message, lease)
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
                _mark_failed(state, claims, f"WeCom: {exc}", report, progress=progress)
                return _Step.STOP
            limiter.record(key)
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
                _mark_failed(state, claims, error, report, retry_after=limiter.window, progress=progress)
                return _Step.FULL_AFTER
            if answer.errcode == BUSY:
                _mark_failed(state, claims, error, report, progress=progress)
                return _Step.STOP
            if answer.errcode == BAD_WEBHOOK:
                _reject_webhook(state, message, error)
                _mark_failed(state, claims, f"{error} (webhook rejected; fix it, then: eduwatch alerts retry)", report,
                             permanent=True, progress=progress)
                return _Step.STOP
            _mark_failed(state, claims, error, report, permanent=True, progress=progress)
            return _Step.NEXT
        else:
            report.sent += _mark_sent(state, claims, progress)
            return _Step.NEXT


def _reject_webhook(state: _Pass, message: Outgoing, error: str) -> None:
    with state.db.transaction() as session:
        subscriber = session.get(Subscriber, message.subscriber_id)
        if subscriber is not None:
            subscriber.wecom_error = redact(f"{error} at {state.now():%Y-%m-%d %H:%M} UTC ({mask_webhook(message.address)})")[:300]
