"""The alert channels: the one registry a new channel is added to.

A channel says where a subscriber gets its alerts (``addresses``: one for e-mail and WeCom,
any number of Apprise URLs, each its own *target* with its own alert rows), why that address
is parked until an operator fixes it (``parked``; WeCom remembers a rejected webhook key),
whether a message of unknown outcome may be sent again (``resend_unknown``), how its messages
queue (``lane``: all e-mail shares one SMTP connection, every webhook and Apprise URL is its
own lane so a slow or broken one holds back nobody else; ``pause_key``: what an outage pauses,
see alerts.pauses), and which module sends a lane and describes a message for ``--dry-run``.
The outbox, the deliverer and the CLI read this table instead of spelling out channel names;
the sender modules are named by dotted path (as Scrapy registers components) so this table
imports none of them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from alerts.pauses import key_for as pause_key_for
from storage.models import Subscriber


@dataclass(frozen=True)
class Channel:
    name: str
    label: str  # for operators: "e-mail address", "WeCom webhook"
    addresses: Callable[[Subscriber], dict[str, str]]  # target -> address ("" on one-address channels)
    lane: Callable[[str], str]  # lane key of an address
    sender: str  # module with send_lane(state, messages) and describe(message, config)
    parked: Callable[[Subscriber], str | None] = lambda subscriber: None
    unpark: Callable[[Subscriber], None] = lambda subscriber: None
    # A message whose outcome is unknown (process killed between send and mark) is sent again
    # only where the receiver can fold the copy: e-mail's Message-ID; a WeCom robot cannot.
    resend_unknown: bool = False
    pause_of: Callable[[str], str] | None = None  # what an outage of an address pauses (else alerts.pauses)

    def address(self, subscriber: Subscriber, target: str | None = "") -> str | None:
        """The address an alert row (its ``target``) goes to; None when the subscriber dropped it."""
        return self.addresses(subscriber).get(target or "")

    def pause_key(self, address: str) -> str:
        return self.pause_of(address) if self.pause_of else pause_key_for(self.name, address)

    def module(self) -> Any:
        return importlib.import_module(self.sender)


def _unpark_wecom(subscriber: Subscriber) -> None:
    subscriber.wecom_error = None


def _one(address: str | None) -> dict[str, str]:
    return {"": address} if address else {}


def _apprise_addresses(subscriber: Subscriber) -> dict[str, str]:
    if not subscriber.apprise:
        return {}  # no import of Apprise (a quarter second) for subscribers without it
    from alerts.apprise_targets import target_key

    return {target_key(url): url for url in subscriber.apprise}


def _apprise_lane(url: str) -> str:
    from alerts.apprise_targets import target_key

    return f"apprise:{target_key(url)}"


def _apprise_pause(url: str) -> str:
    from alerts.apprise_targets import pause_key

    return pause_key(url)


CHANNELS: dict[str, Channel] = {
    channel.name: channel
    for channel in (
        Channel("email", "e-mail address", lambda s: _one(s.email), lambda address: "email", "alerts.email_lane",
                resend_unknown=True),
        Channel("wecom", "WeCom webhook", lambda s: _one(s.wecom_webhook), lambda address: f"wecom:{address}",
                "alerts.wecom_lane", parked=lambda s: s.wecom_error, unpark=_unpark_wecom),
        # DingTalk, Feishu, Telegram … through Apprise: every URL its own lane, so a slow one holds
        # back nobody; a robot cannot fold a duplicate, so an unknown outcome is parked, not resent.
        Channel("apprise", "Apprise URL", _apprise_addresses, _apprise_lane, "alerts.apprise_lane",
                pause_of=_apprise_pause),
    )
}


def channel(name: str) -> Channel:
    return CHANNELS[name]
