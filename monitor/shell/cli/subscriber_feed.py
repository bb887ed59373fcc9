"""``eduwatch subscribers show NAME``: one subscriber, and the Atom feed URL with its token.

The token is random and kept only hashed (storage.feed_tokens), so it can be printed only when
it is made: the first ``show`` of a subscriber makes one; later, ``--new-token`` replaces it
(the old URL stops working) and ``--revoke-token`` closes the feed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import quote

from alerts.subscribers import SubscriberError, get_subscriber
from eduwatch.config import Config
from monitor.shell.cli.context import CliContext
from monitor.shell.cli.table import json_time, print_json
from storage import feed_tokens


def add_arguments(show: argparse.ArgumentParser) -> None:
    show.add_argument("name")
    tokens = show.add_mutually_exclusive_group()
    tokens.add_argument("--new-token", action="store_true", help="replace the feed token (the old URL stops working)")
    tokens.add_argument("--revoke-token", action="store_true", help="close the subscriber's feed")
    show.add_argument("--json", action="store_true")


def feed_url(config: Config, name: str, token: str) -> str:
    base = (config.web.public_url or f"http://{config.web.host}:{config.web.port}").rstrip("/")
    return f"{base}/feeds/subscribers/{quote(name, safe='')}.atom?token={token}"


def cmd_subscribers_show(args: argparse.Namespace, context: CliContext, view_of: Any) -> int:
    try:
        with context.db.transaction() as session:
            subscriber = get_subscriber(session, args.name)
            view = view_of(subscriber)
            token = None
            if args.revoke_token:
                feed_tokens.revoke(session, subscriber)
            elif args.new_token or feed_tokens.current(session, subscriber) is None:
                token = feed_tokens.issue(session, subscriber)
            live = feed_tokens.current(session, subscriber)
            feed = {
                "url": feed_url(context.config, args.name, token) if token else None,
                "token_made": json_time(live.created_at) if live else None,
                "token_starts": live.hint if live else None,
            }
    except SubscriberError as exc:
        print(f"eduwatch: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print_json({**view, "feed": feed})
        return 0
    for key, value in view.items():
        if value not in (None, [], ""):
            print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    if feed["url"]:
        print(f"feed: {feed['url']}")
        print("      (the token is shown only now; it is stored hashed. --new-token replaces it)")
    elif live:
        print(f"feed: token made {feed['token_made']}, starts {feed['token_starts']}…; "
              "shown only when made: --new-token replaces it, --revoke-token closes the feed")
    else:
        print("feed: closed (no token); --new-token opens it again")
    return 0
