"""The alert channels: the one registry a new channel (DingTalk, Feishu …) is added to.

A channel says where a subscriber gets its alerts (``address``), why that address is parked
until an operator fixes it (``parked``; WeCom remembers a rejected webhook key), whether a
message of unknown outcome may be sent again (``resend_unknown``), how its messages queue
(``lane``: all e-mail shares one SMTP connection, every webhook is its own lane so a slow or
broken one holds back nobody else; ``pause_key``: what an outage pauses, see alerts.pauses),
and which module sends a lane and describes a message for ``--dry-run``. The outbox, the deliverer and the CLI read this table instead of
spelling out channel names; the sender modules are named by dotted path (as Scrapy registers
components) so this table imports none of them.
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
    address: Callable[[Subscriber], str | None]
    lane: Callable[[str], str]  # lane key of an address
    sender: str  # module with send_lane(state, messages) and describe(message, config)
    parked: Callable[[Subscriber], str | None] = lambda subscriber: None
    unpark: Callable[[Subscriber], None] = lambda subscriber: None
    # A message whose outcome is unknown (process killed between send and mark) is sent again
    # only where the receiver can fold the copy: e-mail's Message-ID; a WeCom robot cannot.
    resend_unknown: bool = False

    def pause_key(self, address: str) -> str:
        return pause_key_for(self.name, address)

    def module(self) -> Any:
        return importlib.import_module(self.sender)


def _unpark_wecom(subscriber: Subscriber) -> None:
    subscriber.wecom_error = None


CHANNELS: dict[str, Channel] = {
    channel.name: channel
    for channel in (
        Channel("email", "e-mail address", lambda s: s.email, lambda address: "email", "alerts.email_lane",
                resend_unknown=True),
        Channel("wecom", "WeCom webhook", lambda s: s.wecom_webhook, lambda address: f"wecom:{address}",
                "alerts.wecom_lane", parked=lambda s: s.wecom_error, unpark=_unpark_wecom),
    )
}


def channel(name: str) -> Channel:
    return CHANNELS[name]
