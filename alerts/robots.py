"""What eduwatch's DingTalk and Feishu robots share: judging an answer, posting, naming the robot.

What a chat receiver's answer to one post means for the outbox:

A robot webhook answers HTTP 200 to a message it refused (DingTalk ``errcode``, Feishu
``code``), so the HTTP status alone means little; and a lane must tell a receiver that is down
(pause the channel, spend no attempt: :mod:`alerts.pauses`) from one that refused this message
(an attempt: retried with backoff, dead after ``max_attempts``) and from one that refused the
robot itself (dead now: retrying cannot fix a wrong token or signature).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import httpx

from eduwatch.redact import mask_key


class Verdict(Enum):
    SENT = "sent"
    DOWN = "down"  # no usable answer: no connection, a timeout, HTTP 5xx, not the service's JSON
    RETRY = "retry"  # refused for now (busy, too fast): an attempt, retried after a backoff
    TOO_LONG = "too long"  # refused for its size: pack the rest smaller and go on
    REFUSED = "refused"  # refused for good (wrong token, signature, keyword, allow-list)


@dataclass(frozen=True)
class Answer:
    verdict: Verdict
    error: str = ""  # for the operator, already free of secrets
    retry_after: float = 0.0  # seconds the receiver asked us to wait (rate limits)

    @property
    def sent(self) -> bool:
        return self.verdict is Verdict.SENT


def post_json(client: httpx.Client, url: str, payload: dict, service: str) -> tuple[Answer | None, dict]:
    """POST ``payload``; an :class:`Answer` when the transport already decides, else the JSON body.

    The URL is never quoted in the error: it carries the robot's token.
    """
    try:
        response = client.post(url, json=payload)
    except httpx.HTTPError as exc:
        return Answer(Verdict.DOWN, f"{service}: {type(exc).__name__}"), {}
    if response.status_code >= 500:
        return Answer(Verdict.DOWN, f"{service}: HTTP {response.status_code}"), {}
    if response.status_code != 200:
        return Answer(Verdict.REFUSED, f"{service}: HTTP {response.status_code}"), {}
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return Answer(Verdict.DOWN, f"{service}: the answer is not {service}'s JSON"), {}
    return None, data


@dataclass(frozen=True)
class Rule:
    """What one of a robot's codes means: its verdict, a hint for the operator, a wait."""

    verdict: Verdict
    hint: str = ""
    retry_after: float = 0.0


def judge_code(service: str, field: str, code: int, message: str, rules: dict[int, Rule], default: Verdict) -> Answer:
    """The answer a robot's code (0: accepted) means by its ``rules``; unknown codes get ``default``."""
    if code == 0:
        return Answer(Verdict.SENT)
    rule = rules.get(code, Rule(default))
    error = f"{service} {field} {code}: {message[:200]}" + (f" ({rule.hint})" if rule.hint else "")
    return Answer(rule.verdict, error, rule.retry_after)


def code_of(data: dict, *names: str) -> int:
    """The first of ``names`` in a JSON answer as a number (-999: none, or not a number)."""
    for name in names:
        if name in data:
            try:
                return int(data[name])
            except (TypeError, ValueError):
                return -999
    return -999


class Robot:
    """Mixed into an Apprise plugin subclass that has ``token``, ``endpoint`` and ``post``."""

    token: str
    endpoint: str
    service_name: Any
    socket_read_timeout: Any

    def post(self, client: httpx.Client, body: str, title: str) -> Answer:
        raise NotImplementedError

    def describe(self) -> str:
        """The robot for operators: its token's last four characters and the host, no secret."""
        return f"{self.service_name} {self.kind} {mask_key(self.token)} at {self.service_host}"

    kind = "robot"

    @property
    def service_host(self) -> str:
        """What an outage pauses: the service's host, not one robot (see alerts.pauses)."""
        return urlsplit(self.endpoint).netloc

    def send(self, body: str, title: str = "", notify_type: Any = None, body_format: Any = None,
             **kwargs: Any) -> bool:
        """Apprise's entry point (``notify``), kept honest: success only when the robot says so."""
        with httpx.Client(timeout=self.socket_read_timeout or 10, trust_env=False) as client:
            return self.post(client, body, title).sent
