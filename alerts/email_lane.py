"""The e-mail lane: every e-mail of a pass goes through one SMTP connection, one after another."""

from __future__ import annotations

from alerts import outbox
from alerts.mailer import MailError, SmtpMailer
from alerts.render import render_email
from alerts.sending import DeliveryReport, Outgoing, PassState, claim_message, mark_failed, mark_sent
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
    report = DeliveryReport()
    cfg = state.config.email
    mailer = SmtpMailer(cfg)
    lease = cfg.timeout * 4 + 120
    try:
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
                mark_failed(state, claims, str(exc), report, permanent=exc.permanent)
                if exc.connection:  # the server is unreachable: the rest waits for the next pass
                    report.skipped += sum(m.size for m in lane[index + 1 :])
                    break
                continue
            report.sent += mark_sent(state, claims)
    finally:
        mailer.close()
    return report
