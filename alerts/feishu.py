"""Feishu (and Lark) custom bots through Apprise, with signing and their error codes.

Why a subclass of Apprise's own plugin: Apprise 2.3's Feishu sender cannot sign, and a bot
with "signature verification" on refuses every unsigned message (``code`` 19021); nor can its
``True``/``False`` tell a Feishu that is down (pause, no attempt) from one refusing the bot.
This class keeps Apprise's ``feishu://token`` grammar, adds the secret
(``feishu://secret@token`` or ``?secret=``), and also reads the webhook URL Feishu shows
(``https://open.feishu.cn/open-apis/bot/v2/hook/<token>``, on any host: Lark's
``open.larksuite.com``, private deployments, local test receivers). Messages go as an
interactive card whose ``lark_md`` renders links and bold (a text message renders nothing).
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
from apprise.plugins.feishu import NotifyFeishu

from alerts.robots import Answer, Robot, Rule, Verdict, code_of, judge_code, post_json

DEFAULT_ENDPOINT = "https://open.feishu.cn/open-apis/bot/v2/hook"
PART_BYTES = 18_000  # Feishu refuses a request body over 20 KB; room for the card around it
RULES = {  # code -> what it means (0 is accepted)
    11232: Rule(Verdict.RETRY, "more than 100 messages a minute or 5 a second", retry_after=60.0),
    9499: Rule(Verdict.TOO_LONG),  # "Bad Request": what Feishu answers a body over its limit
    19021: Rule(Verdict.REFUSED, "check the bot's signing secret, and this server's clock"),
    19001: Rule(Verdict.REFUSED, "the bot's webhook token is wrong or the bot was removed"),
    19022: Rule(Verdict.REFUSED, "this server's address is not on the bot's IP allow-list"),
    19024: Rule(Verdict.REFUSED, "the message lacks the bot's required keyword"),
}
_NATIVE = re.compile(r"^(?P<endpoint>https?://[^/?#]+/open-apis/bot/v2/hook)/(?P<token>[\w-]+)/?(?:\?(?P<query>.*))?$",
                     re.I)


def sign(secret: str, timestamp: int) -> str:
    """Feishu's signature: HMAC-SHA256 keyed by ``timestamp\\nsecret`` over nothing, base64."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class FeishuBot(Robot, NotifyFeishu):
    """A Feishu custom bot; see the module docstring."""

    part_bytes = PART_BYTES
    kind = "bot"

    def __init__(self, token: str, secret: str | None = None, endpoint: str | None = None, **kwargs: Any) -> None:
        super().__init__(token=token, **kwargs)
        self.secret = secret or None
        self.endpoint = endpoint or DEFAULT_ENDPOINT
        self.clock: Callable[[], float] = time.time  # signing time; tests inject theirs

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        results = NotifyFeishu.parse_url(url)
        if results:
            results["secret"] = (results.get("qsd") or {}).get("secret") or results.get("user") or None
        return results

    @staticmethod
    def parse_native_url(url: str) -> dict[str, Any] | None:
        match = _NATIVE.match(url)
        if not match:
            return None
        results = NotifyFeishu.parse_url(f"feishu://{match.group('token')}")
        if results is None:
            return None
        query = {k: v[0] for k, v in parse_qs(match.group("query") or "").items()}
        results["secret"] = query.get("secret") or None
        results["endpoint"] = match.group("endpoint")
        return results

    def post(self, client: httpx.Client, body: str, title: str) -> Answer:
        """Send one card and judge Feishu's answer."""
        payload: dict[str, Any] = {
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": True},
                "header": {"title": {"tag": "plain_text", "content": title or "eduwatch"}, "template": "blue"},
                "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": body}}],
            },
        }
        if self.secret:
            stamp = int(self.clock())
            payload.update(timestamp=str(stamp), sign=sign(self.secret, stamp))
        answer, data = post_json(client, f"{self.endpoint}/{self.token}", payload, "Feishu")
        return answer or judge(data)


FeishuBot.notify_format = NotifyFormat.MARKDOWN  # type: ignore[assignment]


def judge(data: dict) -> Answer:
    """What a Feishu JSON answer means (see :mod:`alerts.robots`); unknown codes are retried."""
    code = code_of(data, "code", "StatusCode")
    message = str(data.get("msg", data.get("StatusMessage", "")))
    return judge_code("Feishu", "code", code, message, RULES, Verdict.RETRY)
