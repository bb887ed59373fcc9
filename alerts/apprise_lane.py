"""The Apprise lane: one per URL (DingTalk, Feishu, Telegram …), each message in parts that fit.

Like the WeCom lane (:mod:`alerts.wecom_lane`) a message is cut into parts
(:mod:`alerts.parts`) sized for the target, and ``Alert.progress`` remembers the pieces a
target accepted, so a retry resumes after them. What a failure costs follows the answer
(:mod:`alerts.robots`): a receiver that is down pauses its service (no attempt spent), one
that refuses for now ("too fast", "busy") is an attempt retried with backoff, one that
refuses the robot itself (wrong token, signature, keyword) is dead at once with the reason.

Robots allow about 20 messages a minute; the pass's sliding window (shared with WeCom's) keeps
a lane under it, and a lane whose window is full leaves the rest, unclaimed, to a later pass.
"""

from __future__ import annotations

import httpx
from apprise.plugins.base import NotifyBase

from alerts.robots import Answer, Verdict
from alerts.apprise_targets import ROBOTS, TargetError, build, describe as describe_target
from alerts.apprise_targets import part_bytes, pause_key, send_generic, style, target_key
from alerts.outbox import Claim, mark_progress
from alerts.parts import MIN_LIMIT, format_parts, pack, pieces
from alerts.render import Notice
from alerts.render_chat import chat_title, render_chat
from alerts.sending import (
    DeliveryReport,
    Outgoing,
    PassState,
    channel_down,
    channel_up,
    claim_message,
    mark_failed,
    mark_sent,
)
from eduwatch.config import Config


def describe(message: Outgoing, config: Config) -> str:
    """What ``--dry-run`` prints for one Apprise message (secrets masked)."""
    try:
        plugin = build(message.address)
    except TargetError as exc:
        return f"apprise to {target_key(message.address)}: {exc}"
    parts = _parts(message, plugin, part_bytes(plugin))
    head = f"apprise to {describe_target(plugin)} ({message.size} alert(s), {len(parts)} part(s))"
    return head + "\n" + "\n---\n".join(parts)


def send_once(url: str, notices: list[Notice], timeout: float) -> tuple[str, Answer]:
    """One message straight to ``url``, not through the outbox (``subscribers test``).

    Returns the target as operators see it and its answer; :class:`TargetError` when the URL
    cannot be sent to.
    """
    plugin = build(url)
    first = format_parts(pack(pieces(render_chat(notices, style(plugin))), part_bytes(plugin)))[0]
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        return describe_target(plugin), _post(client, plugin, url, first, chat_title(notices))


def _pieces(message: Outgoing, plugin: NotifyBase) -> list[str]:
    return pieces(render_chat(message.notices, style(plugin)))


def _parts(message: Outgoing, plugin: NotifyBase, limit: int) -> list[str]:
    all_pieces = _pieces(message, plugin)
    start = min(message.progress, len(all_pieces) - 1)
    return format_parts(pack(all_pieces[start:], limit), continued=start > 0)


def send_lane(state: PassState, lane: list[Outgoing]) -> DeliveryReport:
    """Send one URL's messages in order; the first that does not go stops the lane for this pass."""
    report = DeliveryReport()
    url = lane[0].address
    key = pause_key(url)
    try:
        plugin = build(url)
    except TargetError as exc:  # the config check refuses these; a CLI-added one may slip by
        for message in lane:
            claims = claim_message(state, message, 60)
            if claims:
                mark_failed(state, claims, f"Apprise: {exc}", report, permanent=True)
        return report
    with httpx.Client(timeout=state.config.wecom.timeout, trust_env=False) as client:
        for index, message in enumerate(lane):
            rest = sum(m.size for m in lane[index + 1 :])
            if key in state.down:  # another lane of this pass found the service down
                report.paused += message.size + rest
                break
            if state.limiter.delay(f"apprise:{target_key(url)}") > state.max_wait:
                report.skipped += message.size + rest  # the robot's minute is used up: a later pass
                break
            verdict = _send(state, client, plugin, message, report)
            if verdict is Verdict.SENT or verdict is Verdict.REFUSED:
                continue
            if verdict is Verdict.DOWN:
                report.paused += rest
            else:
                report.skipped += rest
            break
    return report


def _send(state: PassState, client: httpx.Client, plugin: NotifyBase, message: Outgoing,
          report: DeliveryReport) -> Verdict:
    """Send one message part by part; returns how it ended (see the module docstring)."""
    url = message.address
    size = message.size
    claims = claim_message(state, message, lease=300 + 4 * state.config.wecom.timeout)
    if not claims:
        report.skipped += size  # another deliverer took it
        return Verdict.SENT
    all_pieces = _pieces(message, plugin)
    progress = min(message.progress, len(all_pieces) - 1)
    limit = part_bytes(plugin)
    title = chat_title(message.notices)
    resumed = progress > 0
    while progress < len(all_pieces):
        groups = pack(all_pieces[progress:], limit)
        for group, part in zip(groups, format_parts(groups, continued=resumed)):
            answer = _post(client, plugin, url, part, title)
            if answer.verdict is not Verdict.DOWN:
                channel_up(state, pause_key(url))
                state.limiter.record(f"apprise:{target_key(url)}")
            if answer.sent:
                progress += len(group)
                _save_progress(state, claims, progress, len(all_pieces))
                continue
            if answer.verdict is Verdict.TOO_LONG and limit > MIN_LIMIT:
                limit = max(MIN_LIMIT, limit // 2)  # pack the rest smaller and go on
                resumed = resumed or progress > 0
                break
            return _failed(state, url, claims, answer, report, progress)
        else:
            break
    report.sent += mark_sent(state, claims, progress)
    return Verdict.SENT


def _post(client: httpx.Client, plugin: NotifyBase, url: str, part: str, title: str) -> Answer:
    if isinstance(plugin, ROBOTS):
        return plugin.post(client, part, title)  # type: ignore[attr-defined]
    return send_generic(plugin, url, part, title, style(plugin))


def _save_progress(state: PassState, claims: list[Claim], progress: int, total: int) -> None:
    if progress < total:
        with state.db.transaction() as session:
            for claim in claims:
                mark_progress(session, claim, progress)


def _failed(state: PassState, url: str, claims: list[Claim], answer: Answer, report: DeliveryReport,
            progress: int) -> Verdict:
    """Settle a message the target did not take, by what its answer means."""
    if answer.verdict is Verdict.DOWN:
        channel_down(state, pause_key(url), answer.error, report, claims, progress=progress)
    elif answer.verdict is Verdict.RETRY:
        if answer.retry_after:
            state.limiter.block(f"apprise:{target_key(url)}")  # the robot counts stricter than we do
        mark_failed(state, claims, answer.error, report, retry_after=answer.retry_after, progress=progress)
    else:  # refused for good, or too long even in the smallest parts
        mark_failed(state, claims, answer.error, report, permanent=True, progress=progress)
        return Verdict.REFUSED
    return answer.verdict
