"""Crawl subprocess entry: ``python -m crawler.run [--config FILE] [--full] [--trigger T] PORTAL...``

Runs the named portals concurrently in one CrawlerProcess (one spider per portal), writes one
progress line per portal start and finish to stderr (prefixed ``[crawl] ``) and, as the last
line on stdout, a JSON list of RunSummary dicts (the protocol of :mod:`crawler.child`). A
CrawlerProcess cannot be restarted (ReactorNotRestartable), so every crawl gets a fresh
process; :class:`crawler.supervisor.CrawlChild` spawns it through :mod:`crawler.child`.

``--run-id PORTAL=ID`` hands over runs the parent already opened (so that a crash of this
process can still be recorded against them); portals without one get a new run here.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.child import LIVE_EVERY, LIVE_FLAG, live_line, progress, report
from crawler.heap import freeze_startup_heap
from crawler.settings import settings_for_config
from crawler.spiders import spider_for
from eduwatch.config import Config, ConfigError, load_config
from storage.database import Database
from storage.runs import RunSummary, Runs
from storage.store import Store


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__.splitlines()[0])
    parser.add_argument("portals", nargs="+", metavar="PORTAL")
    parser.add_argument("--config", default=None, help="configuration file (default: $EDUWATCH_CONFIG or built-in)")
    parser.add_argument("--full", action="store_true", help="refetch everything, no conditional requests")
    parser.add_argument("--trigger", default="manual", choices=("manual", "schedule", "worker"))
    parser.add_argument("--run-id", action="append", default=[], metavar="PORTAL=ID",
                        help="record into this already started run")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="close each portal's spider after this long (its run is recorded as failed)")
    parser.add_argument("--items-dir", default=None, metavar="DIR",
                        help="also write each portal's extracted records to DIR/PORTAL.jsonl (what the spiders saw)")
    parser.add_argument(LIVE_FLAG, action="store_true",
                        help=f"tell each running portal's counts every {LIVE_EVERY:g} s (for a progress bar)")
    parser.add_argument("--log-level", default=os.environ.get("EDUWATCH_CRAWL_LOG_LEVEL", "WARNING"))
    return parser.parse_args(argv)


def scrapy_settings(config: Config, config_path: str | None, log_level: str, items_dir: str | None = None,
                    time_limit: float | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(settings_for_config(config), priority="project")
    settings.set("EDUWATCH_CONFIG", config_path, priority="project")
    settings.set("LOG_LEVEL", log_level.upper(), priority="project")
    settings.set("LOG_INSTALL_ROOT_HANDLER", True, priority="project")
    # A crawl process that grows past the daemon's memory budget closes its spiders cleanly.
    settings.set("MEMUSAGE_ENABLED", True, priority="project")
    settings.set("MEMUSAGE_LIMIT_MB", config.daemon.crawl_memory_mb, priority="project")
    if time_limit:
        settings.set("CLOSESPIDER_TIMEOUT", time_limit, priority="project")
    if items_dir:  # one file per portal: concurrent spiders never share a file
        uri = str(Path(items_dir).resolve() / "%(portal)s.jsonl")
        settings.set("FEEDS", {uri: {"format": "jsonlines", "encoding": "utf-8", "overwrite": True}},
                     priority="project")
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args.config)
        portals = [config.portal(name) for name in dict.fromkeys(args.portals)]
        given = dict(item.split("=", 1) for item in args.run_id)
    except (ConfigError, ValueError) as exc:
        print(f"crawler.run: {exc}", file=sys.stderr)
        return 2
    if args.config:
        os.environ["EDUWATCH_CONFIG"] = args.config  # spiders' update_settings read the same file
    db = Database(config.database.url)
    store, runs = Store(db), Runs(db)
    store.sync_portals(portals)
    process = CrawlerProcess(scrapy_settings(config, args.config, args.log_level, args.items_dir, args.time_limit))
    logging.getLogger("scrapy").setLevel(args.log_level.upper())
    crawlers = []
    failures: dict[str, str] = {}
    for portal in portals:
        run_id = int(given[portal.name]) if portal.name in given else runs.open(
            portal.name, full=args.full, trigger=args.trigger
        )
        crawler = process.create_crawler(spider_for(portal.platform))
        crawlers.append((portal.name, run_id, crawler))
        progress(f"{portal.name}: started ({portal.platform}, run {run_id}{', full' if args.full else ''})")
        deferred = process.crawl(
            crawler, portal=portal.name, run_id=run_id, full=args.full, config=config, store=store,
            trigger=args.trigger,
        )
        deferred.addCallbacks(
            lambda _, c=crawler, n=portal.name: _report(n, c),
            lambda failure, n=portal.name: _crawl_failed(n, failure, failures),
        )
    if args.live_progress:
        from twisted.internet import task  # after CrawlerProcess installed Scrapy's reactor

        task.LoopingCall(LiveCounts(crawlers).tell).start(LIVE_EVERY, now=False)
    freeze_startup_heap()
    process.start()
    summaries: list[RunSummary] = []
    for name, run_id, crawler in crawlers:
        spider = crawler.spider
        summary = getattr(spider, "summary", None)
        if summary is None:  # the spider never opened or never closed: the run must not stay 'running'
            reason = failures.get(name, "the spider did not finish")
            runs.cancel(run_id, reason, pages_fetched=getattr(spider, "pages_fetched", 0),
                        errors=getattr(spider, "errors", []))
            summary = runs.summary(run_id)
            progress(f"{name}: failed ({reason})")
        summaries.append(summary)
    db.dispose()
    report(summaries)
    return 0


class LiveCounts:
    """Each running portal's counts so far, told when they changed (a bar moves page by page).

    Why from the spider's book rather than the run row: pages and errors reach the row only
    when the run closes; the book has them as they happen.
    """

    def __init__(self, crawlers: list[tuple[str, int, Any]]) -> None:
        self.crawlers = crawlers
        self.last: dict[str, str] = {}

    def tell(self) -> None:
        for name, _, crawler in self.crawlers:
            spider = getattr(crawler, "spider", None)
            book = getattr(spider, "book", None)
            if book is None or getattr(spider, "summary", None) is not None:
                continue  # not open yet, or finished (its final line says it)
            line = live_line(name, book.saved["new"], book.saved["updated"], book.pages_fetched, len(book.errors))
            if self.last.get(name) != line:
                self.last[name] = line
                progress(line)


def _report(name: str, crawler: object) -> None:
    summary = getattr(getattr(crawler, "spider", None), "summary", None)
    if summary is not None:
        progress(
            f"{name}: {summary.status} — {summary.docs_new} new, {summary.docs_updated} updated, "
            f"{summary.pages_fetched} pages, {summary.errors} errors"
            + (f" ({summary.reason})" if summary.reason else "")
        )


def _crawl_failed(name: str, failure: object, failures: dict[str, str]) -> None:
    value = getattr(failure, "value", failure)
    failures[name] = f"crawl could not run: {type(value).__name__}: {value}"
    logging.getLogger(__name__).error("%s: %s", name, failures[name])


if __name__ == "__main__":
    sys.exit(main())
