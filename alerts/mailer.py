"""Sending e-mail over SMTP (security none | starttls | ssl), one connection per pass.

Errors are sorted into what the outbox needs to know: :class:`MailError` ``permanent`` (a 5xx
answer to our sender, recipient or data: resending cannot help) or not, and ``connection``
(the server as a whole failed: refused, timed out, TLS or login failed, dropped the session,
or answered 421 "service not available"). A ``connection`` error is the channel's, not the
message's: the deliverer pauses e-mail (alerts.pauses) and charges no alert an attempt.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from eduwatch.config import EmailConfig

SERVICE_UNAVAILABLE = 421  # RFC 5321: the server is closing the channel, whatever the message


class MailError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, connection: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.connection = connection


class SmtpMailer:
    """A lazily opened SMTP session, reused for every message of one delivery pass."""

    def __init__(self, config: EmailConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def connect(self) -> None:
        """Open the session now (before any alert is claimed): an outage then costs no claim."""
        if self._smtp is None:
            self._smtp = self._connect()

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            if cfg.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
                if cfg.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                smtp.login(cfg.username, cfg.password() or "")
        except smtplib.SMTPConnectError as exc:  # a 421 (or other) greeting: the server will not talk
            raise MailError(f"SMTP server {cfg.host}:{cfg.port} refused the session: {exc.smtp_code} "
                            f"{_text(exc.smtp_error)}", connection=True) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"SMTP login refused: {exc.smtp_code} {_text(exc.smtp_error)}", connection=True) from None
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise MailError(f"cannot reach SMTP server {cfg.host}:{cfg.port}: {exc}", connection=True) from None
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the server; returns only when the server accepted it."""
        self.connect()
        assert self._smtp is not None
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            self.close()
            raise MailError(f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes),
                            connection=SERVICE_UNAVAILABLE in codes) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise MailError(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500,
                            connection=exc.smtp_code == SERVICE_UNAVAILABLE) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise MailError(f"SMTP connection lost: {exc}", connection=True) from None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
