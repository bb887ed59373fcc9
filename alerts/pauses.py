"""Channel pauses: a mail server or webhook host that is down waits out its outage as a whole.

Why: an outage is not the fault of the alert first in line. Charging it an attempt per pass
(as eduwatch once did) let an hour-long mail outage kill alerts. Instead a channel-level
failure (connection refused, timeout, TLS, SMTP 421, HTTP 5xx or no answer from the webhook
host) pauses the channel: no alert is claimed for it until the pause ends, and each failure
in a row doubles the pause (``[alerts.delivery] backoff_base`` … ``backoff_max``, the alerts'
own backoff). The first success ends it. Pauses live in the ``channel_pauses`` table, so a
restarted deliverer (or a manual ``eduwatch notify``) respects them too.

Keys: ``email`` (the one SMTP server of the configuration), ``wecom:<host>`` (every webhook
on that host: WeCom's servers being down is not one robot's problem), ``apprise:<host>`` for
DingTalk and Feishu robots likewise, and ``apprise:<scheme>:<target>`` for one other Apprise URL
(see alerts.apprise_targets.pause_key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eduwatch.config import DeliveryConfig
from eduwatch.redact import redact
from storage.models import ChannelPause

LABELS = {"email": "e-mail (SMTP server)", "wecom": "WeCom", "apprise": "Apprise target"}


@dataclass(frozen=True)
class Pause:
    key: str
    failures: int
    since: datetime
    until: datetime
    last_error: str

    def describe(self) -> str:
        """One line for ``notify``, ``alerts`` and ``status``: which channel, until when, why."""
        channel, _, host = self.key.partition(":")
        label = LABELS.get(channel, channel) + (f" at {host}" if host else "")
        return (f"{label} paused until {self.until:%Y-%m-%d %H:%M:%S} UTC after {self.failures} failure(s) "
                f"since {self.since:%H:%M:%S} UTC: {self.last_error}")


def key_for(channel: str, address: str) -> str:
    """The pause key of an address on ``channel`` (see the module docstring)."""
    if channel == "wecom":
        return f"wecom:{urlsplit(address).netloc.rpartition('@')[2]}"
    return channel


def pause_delay(failures: int, delivery: DeliveryConfig) -> float:
    """Seconds of the ``failures``-th pause in a row: base, 2x base, 4x base … capped."""
    return min(delivery.backoff_max, max(1.0, delivery.backoff_base) * 2 ** max(0, failures - 1))


def pause(session: Session, key: str, error: str, now: datetime, delivery: DeliveryConfig) -> Pause:
    """Record a channel-level failure of ``key`` at ``now``; returns the pause it is now under."""
    row = session.get(ChannelPause, key)
    if row is None:
        try:
            with session.begin_nested():  # two lanes of one host may fail at the same moment
                row = ChannelPause(key=key, failures=0, since=now, until=now)
                session.add(row)
        except IntegrityError:
            row = session.get(ChannelPause, key, populate_existing=True)
            assert row is not None
    if row.until <= now:  # several lanes of one host failing in one pass are one failure
        row.failures += 1
        row.until = now + timedelta(seconds=pause_delay(row.failures, delivery))
    row.last_error = redact(error)[:1000]
    session.flush()
    return _view(row)


def resume(session: Session, key: str) -> bool:
    """The channel answered: end its pause (returns whether there was one)."""
    return bool(session.execute(delete(ChannelPause).where(ChannelPause.key == key)).rowcount)


def paused(session: Session, now: datetime) -> dict[str, Pause]:
    """Pauses still running at ``now``, by key."""
    rows = session.scalars(select(ChannelPause).where(ChannelPause.until > now).order_by(ChannelPause.key))
    return {row.key: _view(row) for row in rows}


def _view(row: ChannelPause) -> Pause:
    return Pause(row.key, row.failures, row.since, row.until, row.last_error or "")
