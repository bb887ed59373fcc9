"""The e-mail lane: every e-mail of a pass goes through one SMTP connection, one after another."""

from __future__ import annotations

from alerts import outbox
from alerts.channels import CHANNELS
from alerts.mailer import MailError, SmtpMailer
from alerts.render import render_email
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
from eduwatch.config import Config


def describe(message: Outgoing, config: Config) -> str:
    """What ``--dry-run`` prints for one e-mail."""
    rendered = _render(message, config)
    return f"email to {message.address} ({message.size} alert(s)): {rendered['Subject']}"


def _render(message: Outgoing, config: Config):  # type: ignore[no-untyped-def]
    return render_email(
        message.notices,
        to_addr=message.address,
        from_addr=config.email.from_addr,
        message_id=outbox.message_id(message.keys, config.email.from_addr),
        subscriber_name=message.subscriber_name,
    )


def send_lane(state: PassState, lane: list[Outgoing]) -> DeliveryReport:
    """Send the lane's e-mails; a server-level failure pauses e-mail and spends no attempt.

    The session is opened before the first claim, so an unreachable server (the usual outage)
    claims nothing at all; a failure of the server mid-lane (dropped session, 421) hands the
    message in hand back unspent. Only the server's verdict on one message (a 5xx for one
    recipient, a 4xx for its data) is that alert's attempt.
    """
    report = DeliveryReport()
    cfg = state.config.email
    key = CHANNELS["email"].pause_key("")
    mailer = SmtpMailer(cfg)
    lease = cfg.timeout * 4 + 120
    try:
        try:
            mailer.connect()
        except MailError as exc:
            channel_down(state, key, str(exc), report)
            report.paused += sum(m.size for m in lane)
            return report
        channel_up(state, key)
        for index, message in enumerate(lane):
            size = message.size
            claims = claim_message(state, message, lease)
            if not claims:
                report.skipped += size  # another deliverer took it
                continue
            rendered = _render(message, state.config)
            try:
                mailer.send(rendered)
            except MailError as exc:
                if exc.connection:  # the server, not this message: the rest waits for the pause
                    channel_down(state, key, str(exc), report, claims)
                    report.paused += sum(m.size for m in lane[index + 1 :])
                    break
                mark_failed(state, claims, str(exc), report, permanent=exc.permanent)
                continue
            report.sent += mark_sent(state, claims)
    finally:
        mailer.close()
    return report
