"""Apprise URLs as delivery targets: building, naming, masking and judging them.

A subscriber's ``apprise = [...]`` lists URLs in Apprise's grammar (``tgram://…``,
``discord://…``, ``json://…`` and 100-odd more). DingTalk and Feishu are built from eduwatch's
own subclasses (:mod:`alerts.dingtalk`, :mod:`alerts.feishu`: Apprise's senders for those two
take a refusal for a delivery); every other scheme is Apprise's.

Why each URL is named by a digest (:func:`target_key`): the URL carries its token, and the
target's name goes into the outbox's idempotency key, pause keys and logs.

Apprise's own log lines can quote a URL with its token, so the ``apprise`` logger does not
reach eduwatch's handlers: a send's lines are caught per thread (:func:`_captured`) and what
the operator sees is masked (:func:`mask`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlsplit

import apprise
from apprise.common import NotifyFormat
from apprise.plugins.base import NotifyBase

from alerts.robots import Answer, Verdict
from alerts.dingtalk import DingTalkRobot
from alerts.feishu import FeishuBot
from alerts.render_chat import ChatStyle
from eduwatch.redact import redact

ROBOTS: tuple[type[NotifyBase], ...] = (DingTalkRobot, FeishuBot)
GENERIC_PART_BYTES = 16_000  # at most, for targets whose own limit (in characters) is larger
_DOWN = re.compile(r"(?i)connection error|timed out|timeout|error=5\d\d|temporarily unavailable")
_APPRISE_LOG = logging.getLogger("apprise")
_APPRISE_LOG.propagate = False  # see the module docstring
_local = threading.local()


class TargetError(ValueError):
    """An Apprise URL that cannot be sent to, worded without its secrets."""


@functools.lru_cache(maxsize=4096)
def target_key(url: str) -> str:
    """The short name of a target in keys and logs (see the module docstring).

    A DingTalk or Feishu robot is named by its host and token, not its signing secret: an
    operator who changes the secret after a refusal (then ``alerts retry --dead``) still
    reaches the alerts owed to that robot. Any other URL is named whole.
    """
    identity = url.strip()
    try:
        plugin = build(identity)
    except TargetError:
        plugin = None
    if isinstance(plugin, ROBOTS):
        identity = f"{plugin.secure_protocol}:{plugin.service_host}:{plugin.token}"  # type: ignore[attr-defined]
    return hashlib.sha256(identity.encode()).hexdigest()[:12]


def scheme_of(url: str) -> str:
    return urlsplit(url.strip()).scheme.lower() or "?"


def build(url: str) -> NotifyBase:
    """The Apprise plugin that sends to ``url``; :class:`TargetError` when there is none."""
    url = url.strip()
    for robot in ROBOTS:
        parsed = robot.parse_native_url(url)
        if parsed is None and scheme_of(url) == robot.secure_protocol:
            parsed = robot.parse_url(url)
        if parsed is not None:
            with _captured() as lines:
                try:
                    return robot(**parsed)
                except Exception:
                    raise TargetError(f"a {robot.service_name} URL that does not parse: "
                                      f"{mask(' '.join(lines), url) or 'bad token or secret'}") from None
    with _captured() as lines:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        said = mask(" ".join(lines), url)
        raise TargetError(f"Apprise cannot send to this {scheme_of(url)}:// URL" + (f" ({said})" if said else ""))
    return plugin


def check_url(url: str) -> None:
    """The configuration's check of one URL (eduwatch.config_checks names it): builds it or says why not."""
    build(url)


def describe(plugin: NotifyBase) -> str:
    """The target for operators, secrets masked (Apprise's privacy URL for its own plugins)."""
    if isinstance(plugin, ROBOTS):
        return plugin.describe()  # type: ignore[attr-defined]
    return plugin.url(privacy=True).split("?")[0]


def describe_url(url: str) -> str:
    try:
        return describe(build(url))
    except TargetError:
        return f"{scheme_of(url)}://*** ({target_key(url)})"


@functools.lru_cache(maxsize=4096)  # asked per message and per part; a URL's answer never changes
def pause_key(url: str) -> str:
    """What an outage pauses: a robot service's host as a whole, else this one target."""
    try:
        plugin = build(url)
    except TargetError:
        return f"apprise:{scheme_of(url)}:{target_key(url)}"
    if isinstance(plugin, ROBOTS):
        return f"apprise:{plugin.service_host}"  # type: ignore[attr-defined]
    return f"apprise:{scheme_of(url)}:{target_key(url)}"


def style(plugin: NotifyBase) -> ChatStyle:
    """How to render for the target: markdown where it takes it (Apprise turns it into HTML)."""
    if isinstance(plugin, FeishuBot):
        return ChatStyle.LARK
    declared = plugin.notify_format
    formats = {NotifyFormat(f) for f in (declared if isinstance(declared, (tuple, list)) else (declared,))}
    return ChatStyle.MARKDOWN if formats & {NotifyFormat.MARKDOWN, NotifyFormat.HTML} else ChatStyle.TEXT


def part_bytes(plugin: NotifyBase) -> int:
    """Bytes per part: the robot's limit, else Apprise's limit in characters (a byte is at most one)."""
    if isinstance(plugin, ROBOTS):
        return int(plugin.part_bytes)  # type: ignore[attr-defined]
    limit = int(getattr(plugin, "body_maxlen", 0) or 0)
    return min(limit, GENERIC_PART_BYTES) if limit > 0 else GENERIC_PART_BYTES


def send_generic(plugin: NotifyBase, url: str, body: str, title: str, chat_style: ChatStyle) -> Answer:
    """Send through Apprise's own plugin; its ``False`` is judged by what it logged."""
    body_format = NotifyFormat.TEXT if chat_style is ChatStyle.TEXT else NotifyFormat.MARKDOWN
    with _captured() as lines:
        try:
            ok = plugin.notify(body=body, title=title if plugin.title_maxlen else "", body_format=body_format)
        except Exception as exc:  # a plugin bug must not kill the lane
            lines.append(f"{type(exc).__name__}: {exc}")
            ok = False
    if ok:
        return Answer(Verdict.SENT)
    said = mask(" ".join(lines), url) or "the target refused the message"
    error = f"Apprise {scheme_of(url)}: {said}"[:500]
    return Answer(Verdict.DOWN if _DOWN.search(said) else Verdict.RETRY, error)


def mask(text: str, url: str) -> str:
    """``text`` with every part of ``url`` that could be a secret replaced, then redacted."""
    parts = urlsplit(url.strip())
    secrets = {url.strip(), parts.netloc, parts.path.strip("/"), parts.query}
    secrets |= {piece for piece in re.split(r"[/:@?&=]", url.strip()) if len(piece) >= 6}
    for secret in sorted((s for s in secrets if len(s) >= 6), key=len, reverse=True):
        text = text.replace(secret, "***")
    return redact(" ".join(text.split()))


class _ThreadLines(logging.Handler):
    """Collects the ``apprise`` logger's lines of the current thread only (lanes run in threads)."""

    def emit(self, record: logging.LogRecord) -> None:
        lines = getattr(_local, "lines", None)
        if lines is not None and record.levelno >= logging.WARNING:
            try:
                lines.append(record.getMessage())
            except Exception:
                lines.append(str(record.msg))


_HANDLER = _ThreadLines()
_APPRISE_LOG.addHandler(_HANDLER)
if _APPRISE_LOG.level == logging.NOTSET or _APPRISE_LOG.level > logging.WARNING:
    _APPRISE_LOG.setLevel(logging.WARNING)


@contextmanager
def _captured() -> Iterator[list[str]]:
    lines: list[str] = []
    previous = getattr(_local, "lines", None)
    _local.lines = lines
    try:
        yield lines
    finally:
        _local.lines = previous
