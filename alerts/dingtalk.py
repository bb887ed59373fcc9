"""DingTalk custom robots through Apprise, judged by their ``errcode``.

Why a subclass of Apprise's own plugin: Apprise 2.3's DingTalk sender treats any HTTP 200 as
delivered, but DingTalk answers 200 with ``errcode`` 310000 to a wrong signature, a missing
keyword or an address outside the robot's IP allow-list, and 130101 when a robot is sent more
than 20 messages a minute. This class keeps Apprise's URL grammar (``dingtalk://secret@token/``,
secrets masked by ``url(privacy=True)``) and its signing scheme, and answers an
:class:`~alerts.robots.Answer` the lane can act on. It also reads the webhook URL DingTalk
shows (``https://oapi.dingtalk.com/robot/send?access_token=…``, ``&secret=SEC…`` added) on any
host, for 政务钉钉-style private deployments and for local test receivers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import Any, Callable
from urllib.parse import parse_qs

import httpx
from apprise.common import NotifyFormat
from apprise.plugins.dingtalk import NotifyDingTalk

from alerts.robots import Answer, Robot, Rule, Verdict, code_of, judge_code, post_json

DEFAULT_ENDPOINT = "https://oapi.dingtalk.com/robot/send"
PART_BYTES = 18_000  # DingTalk refuses a request over 20,000 bytes; room for the JSON around it
RULES = {  # errcode -> what it means (0 is accepted)
    130101: Rule(Verdict.RETRY, "more than 20 messages a minute", retry_after=60.0),
    460101: Rule(Verdict.TOO_LONG),
    -1: Rule(Verdict.RETRY, "DingTalk is busy"),
    310000: Rule(Verdict.REFUSED, "check the robot's security settings: signing secret, keywords, IP allow-list"),
    300001: Rule(Verdict.REFUSED, "the robot's access_token is wrong or the robot was removed"),
    400101: Rule(Verdict.REFUSED, "the robot's access_token is wrong or the robot was removed"),
}
_NATIVE = re.compile(r"^(?P<endpoint>https?://[^/?#]+/robot/send)/?\?(?P<query>.+)$", re.I)


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: HMAC-SHA256 of ``timestamp\\nsecret`` keyed by the secret, base64."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkRobot(Robot, NotifyDingTalk):
    """A DingTalk custom robot; see the module docstring."""

    part_bytes = PART_BYTES
    kind = "robot"

    def __init__(self, token: str, targets: Any = None, secret: str | None = None,
                 endpoint: str | None = None, **kwargs: Any) -> None:
        super().__init__(token=token, targets=targets, secret=secret, **kwargs)
        self.endpoint = endpoint or DEFAULT_ENDPOINT
        self.clock: Callable[[], float] = time.time  # signing time; tests inject theirs

    @staticmethod
    def parse_native_url(url: str) -> dict[str, Any] | None:
        match = _NATIVE.match(url)
        if not match:
            return None
        query = {k: v[0] for k, v in parse_qs(match.group("query")).items()}
        if not query.get("access_token"):
            return None
        results = NotifyDingTalk.parse_url(f"dingtalk://{query['access_token']}/")
        if results is None:
            return None
        results["secret"] = query.get("secret") or None
        results["endpoint"] = match.group("endpoint")
        return results

    def post(self, client: httpx.Client, body: str, title: str) -> Answer:
        """Send one markdown part and judge DingTalk's answer."""
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": title or "eduwatch", "text": body},
            "at": {"atMobiles": self.targets, "isAtAll": False},
        }
        params = {"access_token": self.token}
        if self.secret:
            stamp = int(self.clock() * 1000)
            params.update(timestamp=str(stamp), sign=sign(self.secret, stamp))
        url = str(httpx.URL(self.endpoint, params=params))
        answer, data = post_json(client, url, payload, "DingTalk")
        return answer or judge(data)


DingTalkRobot.notify_format = NotifyFormat.MARKDOWN  # type: ignore[assignment]


def judge(data: dict) -> Answer:
    """What a DingTalk JSON answer means (see :mod:`alerts.robots`); unknown errcodes are refusals."""
    code = code_of(data, "errcode")
    return judge_code("DingTalk", "errcode", code, str(data.get("errmsg", "")), RULES, Verdict.REFUSED)
