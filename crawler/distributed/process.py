"""The worker process: Scrapy settings for the shared queue, and ``eduwatch worker``'s entry."""

from __future__ import annotations

import logging
import os
import signal
from typing import Any, Iterable

from scrapy.crawler import CrawlerProcess

from crawler.distributed.keys import Keys, connect
from crawler.distributed.worker import DistributedSpider
from crawler.heap import freeze_startup_heap
from crawler.settings import settings_for_config
from eduwatch.config import Config, load_config


def worker_settings(config: Config, config_path: str | None) -> dict[str, Any]:
    keys = Keys(config.redis.key_prefix)
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(settings_for_config(config), priority="project")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.distributed.queue.RunGateMiddleware"] = 585
    settings.setdict({
        "EDUWATCH_CONFIG": config_path,
        "SCHEDULER": "crawler.distributed.queue.RunScheduler",
        "DUPEFILTER_CLASS": "crawler.distributed.queue.RunDupeFilter",
        "SCHEDULER_PERSIST": True,  # the queue outlives any one worker
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "REDIS_URL": config.redis.url,
        "REDIS_START_URLS_KEY": keys.start_urls,
        "REDIS_START_URLS_BATCH_SIZE": 1,
        "ITEM_PIPELINES": {},  # documents are saved by the router, against their own run
        "DOWNLOADER_MIDDLEWARES": middlewares,
        "LOG_LEVEL": os.environ.get("EDUWATCH_CRAWL_LOG_LEVEL", "WARNING"),
        # The list-page HTTP cache is per machine; a worker without the cached copy gets a 200.
    }, priority="cmdline")
    return settings  # type: ignore[return-value]


def run_worker(config_path: str | None, config: Config | None = None, *, idle_exit: float | None = None) -> int:
    """``eduwatch worker``: crawl whatever the queue holds until SIGTERM/SIGINT (or idle_exit)."""
    config = config or load_config(config_path)
    if config_path:
        os.environ["EDUWATCH_CONFIG"] = str(config_path)
    keys = Keys(config.redis.key_prefix)
    connect(config.redis).ping()  # fail now, with the URL's host in the message, if Redis is away
    process = CrawlerProcess(worker_settings(config, config_path), install_root_handler=False)
    process.crawl(DistributedSpider, config=config, keys=keys, idle_exit=idle_exit)
    freeze_startup_heap()
    process.start()
    return 0


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m crawler.distributed [--config F] [--idle-exit S]``: a worker without the CLI."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m crawler.distributed")
    parser.add_argument("--config")
    parser.add_argument("--idle-exit", type=float)
    args = parser.parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return run_worker(args.config, idle_exit=args.idle_exit)
