"""Scrapy settings for eduwatch, in one place.

The module-level names are what ``scrapy crawl`` reads (scrapy.cfg points here); the
runner calls :func:`crawl_settings` to lay the operator's ``[crawl]`` table over them, so
a politeness knob has exactly one name: the one in the configuration file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy.engine import make_url

from eduwatch.config import Config, CrawlConfig

BOT_NAME = "eduwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- politeness (overridden from config.crawl by crawl_settings) -----------------------------
_DEFAULTS = CrawlConfig()
USER_AGENT = _DEFAULTS.user_agent
ROBOTSTXT_OBEY = _DEFAULTS.obey_robots
ROBOTS_CACHE_HOURS = _DEFAULTS.robots_cache_hours  # 0: ask every run, as Scrapy does
DOWNLOAD_DELAY = _DEFAULTS.delay
DOWNLOAD_DELAY_JITTER = 0.5  # ±50% jitter (Scrapy 2.19 name): a fixed beat looks like a bot
# One crawler per portal (each with its own downloader): requests wait in the scheduler, not in
# a deep downloader queue, so a challenge or a close stops the portal at once (see crawl_settings).
CONCURRENT_REQUESTS = 2
CONCURRENT_REQUESTS_PER_DOMAIN = _DEFAULTS.concurrency_per_host
DOWNLOAD_TIMEOUT = _DEFAULTS.timeout
RETRY_ENABLED = True
RETRY_TIMES = _DEFAULTS.retries
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Seconds before the first retry; doubled for each further one (see crawler.politeness).
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
COOKIES_ENABLED = True  # WAFs answer with a cookie-setting 302 to the same URL
COMPRESSION_ENABLED = True
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024  # attachments get their own, smaller cap per request
DOWNLOAD_WARNSIZE = 0

# --- no remote doors into a crawler process --------------------------------------------------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}

# --- our middlewares and pipeline ------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # Replaces Scrapy's RetryMiddleware (same slot, 550) with one that waits before retrying.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.politeness.BackoffRetryMiddleware": 550,
    # Same slot as Scrapy's (600): a WAF's cookie-setting 302 to the same URL is followed, a loop ends.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.politeness.CookieRedirectMiddleware": 600,
    # Responses travel from high numbers to low: at 580 a challenge page is seen after
    # decompression (590) and before retry (550) could turn it into a retry or an error.
    "crawler.blocking.ChallengeMiddleware": 580,
    # Same slot as Scrapy's (100): robots.txt is kept in the database across runs (crawler.robots).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.CachedRobotsTxtMiddleware": 100,
}
ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}
# Records are saved in batches (one transaction each): flushed at this many records, when the
# oldest has waited this long, and when the spider closes (crawler.pipelines).
STORE_BATCH_SIZE = 20
STORE_BATCH_SECONDS = 2.0

# --- list pages become conditional GETs through the HTTP cache -------------------------------
# Only requests marked meta["list_page"] are cached (crawler.incremental.ListPagePolicy); the
# spider sends them with "Cache-Control: max-age=0", so a cached list is always revalidated
# and a 304 hands back the stored body flagged "cached".
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.incremental.ListPagePolicy"
HTTPCACHE_STORAGE = "scrapy.extensions.httpcache.FilesystemCacheStorage"
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_GZIP = True
HTTPCACHE_IGNORE_HTTP_CODES = [301, 302, 303, 307, 403, 404, 410, 412, 429, 500, 502, 503, 504]
HTTPCACHE_DIR = str(Path(platformdirs.user_cache_dir("eduwatch")) / "httpcache")

# --- the rest ---------------------------------------------------------------------------
DOWNLOAD_FAIL_ON_DATALOSS = True
# Scrapy otherwise re-reads and re-parses each callback's source (inspect + ast) on every
# response to warn about `return value` in a generator: ~16% of crawl CPU for a lint warning.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Scrapy starts CONCURRENT_ITEMS asyncio worker tasks for every response's output, however little
# it yields: with the default 100, ~4.5M of the ~17M instructions a detail page cost. A callback
# here yields one record or a list page's requests and the store pipeline is synchronous, so
# parallel item processing had nothing to overlap.
CONCURRENT_ITEMS = 1
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# Where spiders find eduwatch's configuration when started with ``scrapy crawl``.
EDUWATCH_CONFIG = None


def cache_dir_for(database_url: str) -> str:
    """The HTTP cache lives next to an SQLite database (one data dir); else the user cache dir."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return str(Path(url.database).resolve().parent / "httpcache")
    return HTTPCACHE_DIR


def crawl_settings(crawl: CrawlConfig, *, database_url: str | None = None) -> dict[str, Any]:
    """Scrapy settings for one operator ``[crawl]`` table (the only place they are mapped)."""
    settings: dict[str, Any] = {
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "ROBOTS_CACHE_HOURS": crawl.robots_cache_hours,
        "DOWNLOAD_DELAY": crawl.delay,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_host,
        # One spare slot for an attachment or robots.txt on another host.
        "CONCURRENT_REQUESTS": crawl.concurrency_per_host + 1,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "RETRY_TIMES": crawl.retries,
        # Back off at least as long as the polite delay; never less than a quarter second.
        "RETRY_BACKOFF_BASE": max(0.25, crawl.delay),
    }
    if database_url:
        settings["HTTPCACHE_DIR"] = cache_dir_for(database_url)
    return settings


def settings_for_config(config: Config) -> dict[str, Any]:
    return crawl_settings(config.crawl, database_url=config.database.url)
