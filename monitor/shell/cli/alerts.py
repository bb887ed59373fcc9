"""``eduwatch alerts | notify | subscribers``: the outbox and who it writes to.

Webhook URLs are shown masked (``send?key=****abcd``): the key is the robot's password.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from sqlalchemy import select

from alerts import outbox, pauses
from alerts.delivery import deliver_pending
from alerts.mailer import MailError, SmtpMailer
from eduwatch.redact import mask_webhook, redact
from alerts.render import Notice, render_email
from alerts.render_chat import render_wecom
from alerts.subscribers import (
    SubscriberError,
    SubscriberSpec,
    add_subscriber,
    get_subscriber,
    remove_subscriber,
    sync_from_config,
)
from alerts.wecom import OK, WecomTransportError, post_markdown, split_markdown
from eduwatch.event_kinds import DEFAULT_EVENT_FILTERS, EVENT_FILTERS
from monitor.shell.cli import subscriber_feed
from monitor.shell.cli.context import CliContext
from monitor.shell.cli.skipped import skip_reasons
from monitor.shell.cli.table import cut, json_time, print_json, print_table, show_time, time_header
from storage.models import Alert, Subscriber, utcnow

STATUSES = ("pending", "sending", "sent", "failed", "dead")
REQUEUED_BY_RETRY = ("failed", "dead")  # what alerts.outbox.retry puts back to pending


def register(subparsers: argparse._SubParsersAction) -> None:
    alerts = subparsers.add_parser("alerts", help="list alerts in the outbox; retry failed ones")
    alerts.add_argument("--status", choices=STATUSES, help="only alerts with this status")
    alerts.add_argument("--limit", type=int, default=50, help="most recent N (default 50; 0: all)")
    alerts.add_argument("--json", action="store_true", help="machine-readable output")
    alerts.set_defaults(handler=cmd_alerts)
    alert_commands = alerts.add_subparsers(dest="alerts_command", metavar="ACTION")
    retry = alert_commands.add_parser("retry", help="send failed/dead alerts again")
    retry.add_argument("ids", nargs="*", type=int, metavar="ID")
    retry.add_argument("--dead", action="store_true", help="every dead alert")
    retry.set_defaults(handler=cmd_retry)

    notify = subparsers.add_parser("notify", help="deliver the pending alerts now")
    notify.add_argument("--dry-run", action="store_true", help="print what would go out; send nothing")
    notify.add_argument("--limit", type=int, help="at most N alerts")
    notify.set_defaults(handler=cmd_notify)

    subscribers = subparsers.add_parser("subscribers", help="manage who gets alerts")
    subscribers.set_defaults(handler=cmd_subscribers_list, json=False)
    actions = subscribers.add_subparsers(dest="subscribers_command", metavar="ACTION")
    add = actions.add_parser("add", help="add or update a subscriber (not one from the config)")
    add.add_argument("name")
    add.add_argument("--email")
    add.add_argument("--wecom", dest="wecom_webhook", metavar="WEBHOOK_URL")
    add.add_argument("--apprise", action="append", default=[], metavar="URL",
                     help="an Apprise URL: dingtalk://…, feishu://…, tgram://… (repeatable)")
    add.add_argument("--region", dest="regions", action="append", default=[], help="region prefix (repeatable)")
    add.add_argument("--portal", dest="portals", action="append", default=[], help="portal name (repeatable)")
    add.add_argument("--keyword", dest="keywords", action="append", default=[], help="keyword (repeatable)")
    add.add_argument("--event", dest="events", action="append", choices=EVENT_FILTERS, help=f"default: {', '.join(DEFAULT_EVENT_FILTERS)}")
    add.add_argument("--digest", action="store_true", help="one message per crawl run")
    add.set_defaults(handler=cmd_subscribers_add)
    listing = actions.add_parser("list", help="list subscribers")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_subscribers_list)
    remove = actions.add_parser("remove", help="stop alerting a subscriber")
    remove.add_argument("name")
    remove.set_defaults(handler=cmd_subscribers_remove)
    show = actions.add_parser("show", help="one subscriber, with its Atom feed URL (monitor.shell.cli.subscriber_feed)")
    subscriber_feed.add_arguments(show)
    show.set_defaults(handler=lambda args, context: subscriber_feed.cmd_subscribers_show(args, context, subscriber_view))
    test = actions.add_parser("test", help="send a test message on each of a subscriber's channels")
    test.add_argument("name")
    test.set_defaults(handler=cmd_subscribers_test)


def _sync(context: CliContext) -> None:
    with context.db.transaction() as session:
        sync_from_config(session, context.config)


def alert_view(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "event_id": alert.event_id,
        "event_kind": alert.event.kind,
        "document_id": alert.event.document_id,
        "title": alert.event.document.title,
        "subscriber": alert.subscriber.name,
        "channel": alert.channel,
        "target": alert.target,  # which Apprise URL (a digest of it, never the URL); null on e-mail/WeCom
        "digest_group": alert.digest_group,
        "status": alert.status,
        "attempts": alert.attempts,
        "next_attempt_at": json_time(alert.next_attempt_at) if alert.status in ("pending", "failed") else None,
        "last_error": redact(alert.last_error) if alert.last_error else None,
        "created_at": json_time(alert.created_at),
        "sent_at": json_time(alert.sent_at),
    }


def cmd_alerts(args: argparse.Namespace, context: CliContext) -> int:
    _sync(context)
    with context.db.sessions() as session:
        query = select(Alert).order_by(Alert.id.desc())
        if args.status:
            query = query.where(Alert.status == args.status)
        if args.limit:
            query = query.limit(args.limit)
        views = [alert_view(a) for a in reversed(session.scalars(query).all())]
        problems = outbox.webhook_problems(session)
        counts = outbox.counts(session)
        paused = list(pauses.paused(session, utcnow()).values())
    if args.json:
        print_json({"alerts": views, "counts": counts,
                    "webhook_problems": [{"subscriber": n, "error": e} for n, e in problems],
                    "channel_pauses": [pause_view(p) for p in paused]})
        return 0
    for name, error in problems:
        print(f"WARNING: WeCom webhook of subscriber {name} is wrong: {redact(error)}", file=sys.stderr)
    for pause in paused:
        print(f"WARNING: {pause.describe()}", file=sys.stderr)
    rows = [
        [v["id"], v["event_id"], v["subscriber"], v["channel"], v["status"], v["attempts"],
         show_time(v["sent_at"] or v["next_attempt_at"]), cut(v["last_error"] or "", 60), cut(v["title"], 60)]
        for v in views
    ]
    print_table(["id", "event", "subscriber", "channel", "status", "tries", time_header("sent/next"), "last error", "title"], rows)
    print("totals: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no alerts"))
    return 0


def pause_view(pause: pauses.Pause) -> dict[str, Any]:
    return {"channel": pause.key, "until": json_time(pause.until), "since": json_time(pause.since),
            "failures": pause.failures, "last_error": redact(pause.last_error)}


def cmd_retry(args: argparse.Namespace, context: CliContext) -> int:
    if not args.ids and not args.dead:
        print("eduwatch: alerts retry needs alert ids or --dead", file=sys.stderr)
        return 2
    with context.db.transaction() as session:
        statuses = dict(session.execute(select(Alert.id, Alert.status).where(Alert.id.in_(args.ids))).all())
        missing = [alert_id for alert_id in args.ids if alert_id not in statuses]
        if missing:
            # Nothing is requeued: a typo in one id should not half-do the operator's command.
            print(f"eduwatch: no alert {', '.join(map(str, missing))} (see eduwatch alerts); nothing queued",
                  file=sys.stderr)
            return 2
        for alert_id in args.ids:
            if statuses[alert_id] not in REQUEUED_BY_RETRY:
                print(f"alert {alert_id} is {statuses[alert_id]}, not failed or dead: left alone", file=sys.stderr)
        count = outbox.retry(session, args.ids or None, dead=args.dead)
    print(f"{count} alert(s) queued again; they go out with the next delivery (eduwatch notify)")
    return 0 if count or args.dead else 1


def cmd_notify(args: argparse.Namespace, context: CliContext) -> int:
    _sync(context)
    started = utcnow()
    report = deliver_pending(context.db, context.config, now=started, dry_run=args.dry_run, limit=args.limit)
    if args.dry_run:
        for message in report.messages:
            print(message)
            print()
        print(f"{len(report.messages)} message(s) would go out (dry run: nothing sent)")
        return 0
    print(f"sent {report.sent}, failed {report.failed} (will retry), dead {report.dead}, skipped {report.skipped}"
          + (f", {report.paused} waiting for a paused channel" if report.paused else ""))
    for pause in report.pauses.values():  # an outage spends no alert: they go when it is over
        print(f"  {pause.describe()}")
    if report.skipped:
        with context.db.sessions() as session:
            reasons = skip_reasons(session, started, report.skipped, args.limit, set(report.pauses))
            for reason, count in reasons.most_common():
                print(f"  {count} skipped: {reason}")
    if report.waiting and report.next_at is not None:
        # Not a failure and not worth blocking the shell for: the robot allows 20 a minute.
        print(f"{report.waiting} waiting for the WeCom rate limit, next at {show_time(report.next_at, labelled=True)} "
              "(the daemon sends them; or run eduwatch notify again then)")
    if report.unknown:
        print(f"{report.unknown} alert(s) had an unknown outcome after a crash: see eduwatch alerts --status dead")
    return 1 if report.failed or report.dead or report.paused else 0


def subscriber_view(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "name": subscriber.name,
        "email": subscriber.email,
        "wecom_webhook": mask_webhook(subscriber.wecom_webhook) or None,
        "apprise": _apprise_view(subscriber.apprise or []),
        "regions": subscriber.regions,
        "portals": subscriber.portals,
        "keywords": subscriber.keywords,
        "events": subscriber.events,
        "digest": subscriber.digest,
        "origin": subscriber.origin,
        "wecom_error": redact(subscriber.wecom_error) if subscriber.wecom_error else None,
    }


def _apprise_view(urls: list[str]) -> list[str]:
    """Apprise URLs as operators may see them: tokens and secrets masked."""
    if not urls:
        return []  # Apprise takes a quarter second to import
    from alerts.apprise_targets import describe_url

    return [describe_url(url) for url in urls]


def cmd_subscribers_list(args: argparse.Namespace, context: CliContext) -> int:
    _sync(context)
    with context.db.sessions() as session:
        subscribers = session.scalars(select(Subscriber).where(Subscriber.active.is_(True)).order_by(Subscriber.name))
        views = [subscriber_view(s) for s in subscribers]
    if getattr(args, "json", False):
        print_json(views)
        return 0
    rows = [
        [v["name"], v["origin"], v["email"] or "", v["wecom_webhook"] or "", "\n".join(v["apprise"]), ",".join(v["events"]),
         ",".join(v["regions"] + v["portals"] + v["keywords"]) or "(all)", "yes" if v["digest"] else "",
         v["wecom_error"] or ""]
        for v in views
    ]
    print_table(["name", "origin", "email", "wecom", "apprise", "events", "filters", "digest", "problem"], rows)
    return 0


def cmd_subscribers_add(args: argparse.Namespace, context: CliContext) -> int:
    _sync(context)
    spec = SubscriberSpec(
        name=args.name, email=args.email, wecom_webhook=args.wecom_webhook, apprise=args.apprise, regions=args.regions,
        portals=args.portals, keywords=args.keywords, events=args.events or list(DEFAULT_EVENT_FILTERS), digest=args.digest,
    )
    try:
        with context.db.transaction() as session:
            add_subscriber(session, spec)
    except SubscriberError as exc:
        print(f"eduwatch: {exc}", file=sys.stderr)
        return 2
    print(f"subscriber {args.name} saved")
    return 0


def cmd_subscribers_remove(args: argparse.Namespace, context: CliContext) -> int:
    _sync(context)
    try:
        with context.db.transaction() as session:
            remove_subscriber(session, args.name)
    except SubscriberError as exc:
        print(f"eduwatch: {exc}", file=sys.stderr)
        return 2
    print(f"subscriber {args.name} removed (its unsent alerts are dead)")
    return 0


def cmd_subscribers_test(args: argparse.Namespace, context: CliContext) -> int:
    """Send a test message straight to the channels (not through the outbox)."""
    import httpx

    _sync(context)
    try:
        with context.db.sessions() as session:
            subscriber = subscriber_view(get_subscriber(session, args.name))
            webhook = get_subscriber(session, args.name).wecom_webhook
            apprise_urls = list(get_subscriber(session, args.name).apprise or [])
    except SubscriberError as exc:
        print(f"eduwatch: {exc}", file=sys.stderr)
        return 2
    notice = Notice(event_id=0, kind="new", title="eduwatch 测试消息 test message", summary=f"Test for {args.name}")
    failures = 0
    if subscriber["email"]:
        config = context.config.email
        message = render_email([notice], to_addr=subscriber["email"], from_addr=config.from_addr,
                               message_id=f"<eduwatch.test.{datetime.now().timestamp():.0f}@eduwatch.invalid>",
                               subscriber_name=args.name)
        mailer = SmtpMailer(config)
        try:
            mailer.send(message)
            print(f"email: sent to {subscriber['email']}")
        except MailError as exc:
            failures += 1
            print(f"email: FAILED: {exc}")
        finally:
            mailer.close()
    if webhook:
        try:
            with httpx.Client(timeout=context.config.wecom.timeout, trust_env=False) as client:
                answer = post_markdown(client, webhook, split_markdown(render_wecom([notice]))[0])
            if answer.errcode == OK:
                print(f"wecom: sent to {mask_webhook(webhook)}")
            else:
                failures += 1
                print(f"wecom: FAILED: errcode {answer.errcode} {answer.errmsg} ({mask_webhook(webhook)})")
        except WecomTransportError as exc:
            failures += 1
            print(f"wecom: FAILED: {redact(str(exc))}")
    for url in apprise_urls:
        failures += not _test_apprise(url, notice, context.config.wecom.timeout)
    return 1 if failures else 0


def _test_apprise(url: str, notice: Notice, timeout: float) -> bool:
    from alerts.apprise_lane import send_once
    from alerts.apprise_targets import TargetError

    try:
        target, answer = send_once(url, [notice], timeout)
    except TargetError as exc:
        print(f"apprise: FAILED: {_apprise_view([url])[0]}: {exc}")
        return False
    print(f"apprise: sent to {target}" if answer.sent else f"apprise: FAILED: {answer.error} ({target})")
    return answer.sent
