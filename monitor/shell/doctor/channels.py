"""The alert channels: the SMTP server takes our login, each WeCom webhook and Apprise URL has a robot's form.

Nothing is sent: SMTP is connected and logged in to, then quit; a webhook or Apprise URL is only
read, because posting to a robot would put a test message in a real group chat
(``eduwatch subscribers test NAME`` does that when asked).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from alerts.mailer import MailError, SmtpMailer
from eduwatch.config import Config, SubscriberConfig
from eduwatch.redact import redact
from monitor.shell.doctor.result import Check, failed, passed

WEBHOOK_PATH = "/cgi-bin/webhook/send"


def check_smtp(config: Config) -> Check:
    """Connect and (when a username is set) log in, as the delivery pass does first."""
    name = "smtp"
    email = config.email
    where = f"{email.host}:{email.port} ({email.security})"
    if not any(subscriber.email for subscriber in config.subscribers):
        return passed(name, f"{where}: not checked, no subscriber has an e-mail address")
    mailer = SmtpMailer(email)
    try:
        mailer.connect()
    except MailError as exc:
        return failed(name, f"{where}: {exc}", _smtp_fix(str(exc), email.password_env))
    finally:
        mailer.close()
    login = f"logged in as {email.username}" if email.username else "no login configured"
    return passed(name, f"{where}: connected, {login}")


def _smtp_fix(message: str, password_env: str | None) -> str:
    if "login refused" in message:
        return f"check [alerts.email] username and the password in ${password_env or 'the password_env variable'}"
    return "check [alerts.email] host, port and security, and that this machine may reach the server"


def check_webhooks(config: Config) -> list[Check]:
    """One line per subscriber with a WeCom webhook: the URL a group robot gives out."""
    return [_webhook(subscriber) for subscriber in config.subscribers if subscriber.wecom_webhook]


def _webhook(subscriber: SubscriberConfig) -> Check:
    name = f"webhook {subscriber.name}"
    url = subscriber.wecom_webhook or ""
    parts = urlsplit(url)
    problems = []
    if not parts.path.endswith(WEBHOOK_PATH):
        problems.append(f"its path is {parts.path or '/'}, not {WEBHOOK_PATH}")
    if not parse_qs(parts.query).get("key", [""])[0]:
        problems.append("it has no key=… parameter")
    if problems:
        return failed(name, f"{redact(url)}: {'; '.join(problems)}",
                      "copy the webhook address again from the group robot's settings in WeCom")
    return passed(name, f"{redact(url)}: a WeCom robot webhook")


def check_apprise(config: Config) -> list[Check]:
    """One line per Apprise URL: which target it is, and whether a robot's messages are signed."""
    return [_apprise(subscriber.name, number, url)
            for subscriber in config.subscribers for number, url in enumerate(subscriber.apprise, start=1)]


def _apprise(subscriber: str, number: int, url: str) -> Check:
    from alerts.apprise_targets import ROBOTS, TargetError, build, describe

    name = f"apprise {subscriber} #{number}"
    try:
        plugin = build(url)
    except TargetError as exc:
        return failed(name, str(exc), "copy the URL again from the robot's settings, in the form the README shows")
    if isinstance(plugin, ROBOTS) and not getattr(plugin, "secret", None):
        return passed(name, f"{describe(plugin)}, not signed (a robot with 加签 / 签名校验 on refuses unsigned "
                            "messages: add its secret if it has one)")
    return passed(name, describe(plugin) + (", signed" if getattr(plugin, "secret", None) else ""))
