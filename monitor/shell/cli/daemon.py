"""``eduwatch daemon | worker | recrawl | status``: running eduwatch as a service, and operating it.

All four are safe while the daemon runs: ``recrawl`` takes the same per-portal lease as the
daemon (it waits, or with ``--no-wait`` says who is crawling), ``status`` only reads.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from urllib.parse import urlsplit

from sqlalchemy import select

from eduwatch.config import Config
from monitor.shell.cli.context import CliContext
from monitor.shell.cli.crawl_progress import PlainProgress
from monitor.shell.cli.table import print_json
from monitor.shell.logging_setup import setup_logging
from storage.models import Document, Portal, Source


def register(subparsers: argparse._SubParsersAction) -> None:
    daemon = subparsers.add_parser("daemon", help="crawl every portal on its schedule and send alerts (a service)")
    daemon.add_argument("--distributed", action="store_true",
                        help="queue crawls in Redis for `eduwatch worker` processes instead of crawling here")
    daemon.add_argument("--workers", type=int, default=None, metavar="N",
                        help="crawl batches running at once (default [crawl] processes)")
    daemon.set_defaults(handler=cmd_daemon)

    worker = subparsers.add_parser("worker", help="distributed mode: take crawl work from Redis until stopped")
    worker.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS",
                        help="exit after this long without work (default: run until stopped)")
    worker.set_defaults(handler=cmd_worker)

    recrawl = subparsers.add_parser("recrawl", help="crawl a URL, a document or a portal again, now")
    target = recrawl.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", action="append", metavar="URL", help="a document page URL (repeatable)")
    target.add_argument("--document", type=int, action="append", metavar="ID", help="a stored document id (repeatable)")
    target.add_argument("--portal", action="append", metavar="PORTAL", help="a whole portal (repeatable)")
    recrawl.add_argument("--full", action="store_true", help="with --portal: refetch every list and detail page")
    recrawl.add_argument("--no-wait", action="store_true", help="fail instead of waiting while a portal is being crawled")
    recrawl.add_argument("--wait-timeout", type=float, default=None, metavar="SECONDS")
    recrawl.set_defaults(handler=cmd_recrawl)

    status = subparsers.add_parser("status", help="daemon state, each portal's last crawl and next run, alert counts")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)


def cmd_daemon(args: argparse.Namespace, context: CliContext) -> int:
    from monitor.shell.daemon import run_daemon

    config = context.config
    setup_logging(json_lines=config.daemon.log_json)
    code = run_daemon(
        config, context.config_path, distributed=args.distributed, workers=args.workers, db=context.db,
        on_refused=lambda message: print(f"eduwatch daemon: {message}", file=sys.stderr),
    )
    _exit_even_if_a_job_hangs(code)
    return code


def _exit_even_if_a_job_hangs(code: int) -> None:
    """The daemon has stopped and released everything; a job thread still stuck (a mail server
    that does not answer) must not keep the process past its 30 s stop budget."""
    import logging
    import os
    import threading

    stuck = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if stuck:
        logging.getLogger("eduwatch.daemon").warning(
            "daemon.exit_with_busy_threads threads=%s", ",".join(t.name for t in stuck))
        for handler in logging.getLogger().handlers:
            handler.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def cmd_worker(args: argparse.Namespace, context: CliContext) -> int:
    from crawler.distributed import run_worker

    import redis

    config = context.config
    setup_logging(json_lines=config.daemon.log_json)
    try:
        return run_worker(context.config_path, config, idle_exit=args.idle_exit)
    except redis.RedisError as exc:
        host = config.redis.url.rsplit("@", 1)[-1]  # never print a password from the URL
        print(f"eduwatch worker: cannot use Redis at {host}: {exc}", file=sys.stderr)
        return 1


def cmd_recrawl(args: argparse.Namespace, context: CliContext) -> int:
    from crawler.runner import crawl_portals_locked
    from monitor.shell.passes import monitor_and_deliver
    from storage.crawl_leases import PortalBusy
    from storage.store import Store

    config = context.config
    Store(context.db).sync_portals(config.portals)
    if args.portal:
        for name in args.portal:
            config.portal(name)
        plans = [(name, []) for name in dict.fromkeys(args.portal)]
    else:
        targets = _targets_by_portal(context, config, args.url or [], args.document or [])
        if targets is None:
            return 1
        plans = sorted(targets.items())

    progress = PlainProgress()  # each portal's start and end on stderr

    summaries = []
    for portal, urls in plans:
        extra: list[str] = []
        for url in urls:
            extra += ["--target", url]
        try:
            summaries += crawl_portals_locked(
                context.config_path, [portal], full=bool(args.full and not urls), trigger="manual",
                wait=not args.no_wait, wait_timeout=args.wait_timeout, progress=progress, db=context.db,
                extra_args=extra, module="crawler.distributed_recrawl" if urls else "crawler.run",
            )
        except PortalBusy as exc:
            print(f"eduwatch recrawl: {exc}", file=sys.stderr)
            return 1
    monitor_and_deliver(context.db, config)
    for summary in summaries:
        reason = f" ({summary.reason})" if summary.reason else ""
        print(f"{summary.portal}: {summary.status} — {summary.docs_new} new, {summary.docs_updated} updated, "
              f"{summary.errors} errors{reason}")
    return 0 if summaries and all(s.status == "ok" for s in summaries) else 1


def _targets_by_portal(context: CliContext, config: Config, urls: list[str], documents: list[int]) -> dict[str, list[str]] | None:
    """Which portal each URL belongs to: a known source's portal, else the configured host."""
    targets: dict[str, list[str]] = defaultdict(list)
    with context.db.sessions() as session:
        for doc_id in documents:
            if session.get(Document, doc_id) is None:
                print(f"eduwatch recrawl: no document with id {doc_id}", file=sys.stderr)
                return None
            for url, portal in session.execute(
                select(Source.url, Portal.name).join(Portal, Source.portal_id == Portal.id).where(Source.document_id == doc_id)
            ):
                targets[portal].append(url)
        for url in urls:
            portal = session.scalar(select(Portal.name).join(Source, Source.portal_id == Portal.id).where(Source.url == url))
            portal = portal or _portal_for_url(config, url)
            if portal is None:
                print(f"eduwatch recrawl: {url} belongs to no configured portal (no portal's host matches)",
                      file=sys.stderr)
                return None
            targets[portal].append(url)
    return {portal: list(dict.fromkeys(found)) for portal, found in targets.items()}


def _portal_for_url(config: Config, url: str) -> str | None:
    """The configured portal whose base URL (longest match first) the URL lies under."""
    parts = urlsplit(url)
    best: tuple[int, str] | None = None
    for portal in config.portals:
        for base in (portal.base_url, *portal.list_urls):
            b = urlsplit(base)
            if b.netloc.lower() != parts.netloc.lower():
                continue
            score = len(b.path) if parts.path.startswith(b.path.rstrip("/")) else 0
            if best is None or score > best[0]:
                best = (score, portal.name)
    return best[1] if best else None


def cmd_status(args: argparse.Namespace, context: CliContext) -> int:
    from monitor.shell.status import collect_status, format_status

    status = collect_status(context.db, context.config)
    if args.json:
        print_json(status)
    else:
        print(format_status(status))
    return 0
