"""Local HTTP servers that answer like DingTalk (钉钉) and Feishu (飞书) custom robots.

The imitations the Apprise-lane tests share (the WeCom one is :mod:`localportals.wecom`). What
they enforce is what the real robots document and do:

- **DingTalk** (``POST /robot/send?access_token=T[&timestamp=ms&sign=…]``): errors come with
  HTTP 200 and an ``errcode``; an unknown token is 300001; a robot with "加签" refuses a missing
  or wrong signature, or a timestamp more than an hour off, with 310000, as it does a message
  without the robot's keyword; over 20 messages a minute is 130101; a request over 20,000 bytes
  is 460101; ``{"errcode": 0, "errmsg": "ok"}`` on success.
- **Feishu** (``POST /open-apis/bot/v2/hook/<token>``, signature as ``timestamp`` and ``sign`` in
  the body): an unknown token is 19001; a wrong signature or a timestamp more than an hour off
  is 19021; a missing keyword 19024; over 100 a minute (or 5 a second) 11232; a body over 20 KB
  9499; success ``{"code": 0, "msg": "success", "StatusCode": 0, …}``.

Both can play an outage (see :mod:`localportals.receivers`) and record every answer
and every accepted message with its arrival time::

    with DingTalkServer(robots={"tok": "SECret"}) as dingtalk:
        url = dingtalk.url("tok")         # with &secret=… for signed robots
        ...
        dingtalk.accepted, dingtalk.answers
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from localportals.receivers import JsonReceiver

SIGN_WINDOW = 3600.0  # both robots refuse a timestamp more than an hour off


@dataclass
class Accepted:
    """One message a robot took."""

    token: str
    title: str
    text: str
    at: float  # time.monotonic() on arrival


@dataclass
class RobotServer(JsonReceiver):
    """What both imitations share: rate windows, signatures' freshness and the record."""

    robots: dict[str, str | None]  # token -> signing secret (None: the robot does not sign)
    keywords: dict[str, str] = field(default_factory=dict)  # token -> a word every message must hold
    rate: int = 20
    window: float = 60.0
    max_bytes: int = 20_000
    script: list[int] = field(default_factory=list)  # codes for the next requests (0: decide normally)
    clock: Any = time.time  # the robot's wall clock, for signature timestamps
    accepted: list[Accepted] = field(default_factory=list)
    answers: list[tuple[str, int]] = field(default_factory=list)  # (token, code) of every request
    _recent: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    name = "robot"

    def respond(self, path: str, raw: bytes) -> dict[str, Any]:
        return self.handle(path, raw)

    def handle(self, path: str, raw: bytes) -> dict[str, Any]:
        """The JSON answer to one POST (also callable without HTTP)."""
        with self._lock:
            token, code, message, accepted = self._decide(path, raw)
            self.answers.append((token, code))
            if accepted is not None:
                self.accepted.append(accepted)
            return self.answer(code, message)

    def accepted_by(self, token: str) -> list[Accepted]:
        with self._lock:
            return [a for a in self.accepted if a.token == token]

    def codes(self, token: str | None = None) -> list[int]:
        with self._lock:
            return [code for t, code in self.answers if token is None or t == token]

    def _decide(self, path: str, raw: bytes) -> tuple[str, int, str, Accepted | None]:
        raise NotImplementedError

    def answer(self, code: int, message: str) -> dict[str, Any]:
        raise NotImplementedError

    def _too_fast(self, token: str, now: float) -> bool:
        recent = self._recent.setdefault(token, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= self.rate:
            return True
        recent.append(now)
        return False

    def _scripted(self) -> int:
        return self.script.pop(0) if self.script else 0

    def _fresh(self, stamp_seconds: float) -> bool:
        return abs(self.clock() - stamp_seconds) <= SIGN_WINDOW


class DingTalkServer(RobotServer):
    """DingTalk's custom robot (see the module docstring)."""

    name = "dingtalk"

    def url(self, token: str, *, sign: bool = True) -> str:
        """The webhook as DingTalk shows it, with ``&secret=`` for a signed robot."""
        secret = self.robots.get(token)
        return f"{self.base}/robot/send?access_token={token}" + (f"&secret={secret}" if secret and sign else "")

    def answer(self, code: int, message: str) -> dict[str, Any]:
        return {"errcode": code, "errmsg": message}

    def _decide(self, path: str, raw: bytes) -> tuple[str, int, str, Accepted | None]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        token = query.get("access_token", "")
        if parts.path.rstrip("/") != "/robot/send" or token not in self.robots:
            return token, 300001, "token is not exist", None
        if scripted := self._scripted():
            return token, scripted, "scripted failure", None
        secret = self.robots[token]
        if secret and not self._signed(secret, query.get("timestamp", ""), query.get("sign", "")):
            return token, 310000, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]", None
        if len(raw) > self.max_bytes:
            return token, 460101, "message too long, exceed 20000 bytes", None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return token, 43004, "无效的HTTP HEADER Content-Type", None
        title, text = _dingtalk_content(data)
        if not text:
            return token, 40035, "缺少参数 json", None
        keyword = self.keywords.get(token)
        if keyword and keyword not in title + text:
            return token, 310000, "keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]", None
        now = time.monotonic()
        if self._too_fast(token, now):
            return token, 130101, "send too fast, exceed 20 times per minute", None
        return token, 0, "ok", Accepted(token, title, text, now)

    def _signed(self, secret: str, timestamp: str, sign: str) -> bool:
        if not timestamp.isdigit() or not self._fresh(int(timestamp) / 1000):
            return False
        expected = base64.b64encode(
            hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, unquote(sign))


def _dingtalk_content(data: Any) -> tuple[str, str]:
    """(title, text) of a message; an empty text where DingTalk would miss a required field."""
    if not isinstance(data, dict):
        return "", ""
    kind = data.get("msgtype")
    body = data.get(kind) if isinstance(data.get(kind), dict) else {}
    if kind == "markdown":
        title = str(body.get("title") or "")
        return title, str(body.get("text") or "") if title else ""  # markdown without a title is refused
    if kind == "text":
        return "", str(body.get("content") or "")
    return "", ""


@dataclass
class FeishuServer(RobotServer):
    """Feishu's custom bot (see the module docstring)."""

    rate: int = 100
    per_second: int = 5

    name = "feishu"

    def url(self, token: str, *, sign: bool = True) -> str:
        """The webhook as Feishu shows it, with ``?secret=`` for a signed bot."""
        secret = self.robots.get(token)
        return f"{self.base}/open-apis/bot/v2/hook/{token}" + (f"?secret={secret}" if secret and sign else "")

    def answer(self, code: int, message: str) -> dict[str, Any]:
        if code == 0:
            return {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
        return {"code": code, "data": {}, "msg": message}

    def _decide(self, path: str, raw: bytes) -> tuple[str, int, str, Accepted | None]:
        prefix = "/open-apis/bot/v2/hook/"
        route = urlsplit(path).path
        token = route[len(prefix):].strip("/") if route.startswith(prefix) else ""
        if token not in self.robots:
            return token, 19001, "param invalid: incoming webhook access token invalid", None
        if scripted := self._scripted():
            return token, scripted, "scripted failure", None
        if len(raw) > self.max_bytes:
            return token, 9499, "Bad Request", None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return token, 9499, "Bad Request", None
        secret = self.robots[token]
        if secret and not self._signed(secret, data):
            return token, 19021, "sign match fail or timestamp is not within one hour from current time", None
        title, text = _feishu_content(data)
        if not text:
            return token, 9499, "Bad Request", None
        keyword = self.keywords.get(token)
        if keyword and keyword not in title + text:
            return token, 19024, "Key Words Not Found", None
        now = time.monotonic()
        recent = self._recent.get(token, deque())
        if sum(1 for t in recent if t > now - 1.0) >= self.per_second or self._too_fast(token, now):
            return token, 11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]", None
        return token, 0, "success", Accepted(token, title, text, now)

    def _signed(self, secret: str, data: Any) -> bool:
        timestamp = str(data.get("timestamp", "")) if isinstance(data, dict) else ""
        if not timestamp.isdigit() or not self._fresh(int(timestamp)):
            return False
        expected = base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, str(data.get("sign", "")))


def _feishu_content(data: Any) -> tuple[str, str]:
    if not isinstance(data, dict):
        return "", ""
    if data.get("msg_type") == "text":
        return "", str((data.get("content") or {}).get("text") or "")
    if data.get("msg_type") == "interactive":
        card = data.get("card") or {}
        title = str(((card.get("header") or {}).get("title") or {}).get("content") or "")
        texts = [str((e.get("text") or {}).get("content") or "") for e in card.get("elements") or [] if isinstance(e, dict)]
        return title, "\n".join(t for t in texts if t)
    return "", ""
