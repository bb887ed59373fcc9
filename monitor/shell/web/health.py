"""Portal health at a glance: each configured portal's last crawl and what it means.

A portal is *blocked* (its last crawl met an anti-bot challenge), *failing* (its last crawl
failed), *stale* (no finished crawl for three of its intervals, or two days for a cron
schedule: the daemon may be down), *never* crawled, or ok. Next runs are the ``schedule:``
rows the daemon publishes, as ``eduwatch status`` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from eduwatch.config import Config, PortalConfig, parse_schedule
from storage.database import Database
from storage.locks import SCHEDULE_PREFIX, Locks
from storage.models import CrawlRun
from storage.runs import Runs

STATES = {"ok": "正常", "failing": "失败", "blocked": "被拦截", "stale": "久未更新", "never": "从未抓取",
          "running": "抓取中", "disabled": "已停用"}
CRON_STALE = timedelta(days=2)
STALE_INTERVALS = 3


@dataclass(frozen=True)
class PortalHealth:
    portal: PortalConfig
    state: str
    last_run: CrawlRun | None  # the latest run, maybe still running
    last_finished: CrawlRun | None
    next_run: datetime | None

    @property
    def label(self) -> str:
        return STATES[self.state]

    @property
    def reason(self) -> str:
        run = self.last_finished
        return (run.reason or "") if run is not None else ""


def _stale_after(portal: PortalConfig, config: Config) -> timedelta:
    kind, value = parse_schedule(portal.schedule or config.daemon.default_schedule)
    return timedelta(seconds=float(value) * STALE_INTERVALS) if kind == "interval" else CRON_STALE


def _state(portal: PortalConfig, config: Config, latest: CrawlRun | None, finished: CrawlRun | None,
           now: datetime) -> str:
    if not portal.enabled:
        return "disabled"
    if finished is None:
        return "running" if latest is not None else "never"
    if finished.status in ("blocked", "failed"):
        return "blocked" if finished.status == "blocked" else "failing"
    ended = finished.finished_at or finished.started_at
    return "stale" if now - ended > _stale_after(portal, config) else "ok"


def portal_health(db: Database, config: Config) -> list[PortalHealth]:
    runs, locks = Runs(db), Locks(db)
    now = locks.now()
    latest, finished = runs.latest(), runs.latest(finished=True)
    next_runs = {lease.name.split(":", 1)[1]: lease.expires_at for lease in locks.list(SCHEDULE_PREFIX)}
    return [
        PortalHealth(portal, _state(portal, config, latest.get(portal.name), finished.get(portal.name), now),
                     latest.get(portal.name), finished.get(portal.name), next_runs.get(portal.name))
        for portal in config.portals
    ]
