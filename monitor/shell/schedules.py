"""When each portal is crawled: its schedule, the first run after a (re)start, and back-off.

Schedules live in the configuration and history in the database (``crawl_runs``): the
daemon rebuilds its jobs at every start and asks :meth:`Schedule.missed_since` whether a run
fell due while it was down, so a long outage costs each portal one run, not one per missed
slot. A cron schedule's *interval* is the gap between two of its fire times, which is what
back-off multiplies.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from apscheduler.triggers.cron import CronTrigger

from eduwatch.config import Config, PortalConfig, parse_schedule
from eduwatch.local_time import DEFAULT_ZONE, zone

BACKOFF_MAX_FACTOR = 16
BACKOFF_MAX = timedelta(days=1)
JITTER_SHARE = 0.1  # a start's random delay is at most this share of the portal's interval


@dataclass(frozen=True)
class Schedule:
    kind: str  # interval | cron
    interval: float  # seconds (for cron: the gap between two fire times, for backoff)
    cron: str | None = None
    zone: str = DEFAULT_ZONE  # [display] timezone: cron lines are read in it (DST by the zone database)

    @classmethod
    def of(cls, portal: PortalConfig, config: Config) -> "Schedule":
        kind, value = parse_schedule(portal.schedule or config.daemon.default_schedule)
        if kind == "interval":
            return cls("interval", float(value))
        name = config.display.timezone
        trigger = CronTrigger.from_crontab(str(value), timezone=zone(name))
        first = trigger.get_next_fire_time(None, datetime.now(zone(name)))
        second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
        gap = (second - first).total_seconds() if first and second else 86400.0
        return cls("cron", gap, str(value), name)

    def jitter(self, configured: float) -> float:
        """The most a start may be delayed at random: ``[daemon] jitter``, but never more than
        a tenth of the interval (300 s of jitter on a 10 s schedule would run it every few
        minutes)."""
        return max(0.0, min(configured, JITTER_SHARE * self.interval))

    def next_slot(self, base: datetime, after: datetime) -> datetime:
        """The first slot strictly after ``after`` (naive UTC). Interval schedules keep the
        phase of ``base`` (a slot: base + k × interval), so a late run does not shift later ones."""
        if self.kind == "interval":
            steps = max(1, math.floor((after - base).total_seconds() / self.interval) + 1)
            return base + timedelta(seconds=steps * self.interval)
        trigger = CronTrigger.from_crontab(self.cron or "", timezone=zone(self.zone))
        start = (after + timedelta(seconds=1)).replace(microsecond=0, tzinfo=timezone.utc)
        fire = trigger.get_next_fire_time(None, start)
        return fire.astimezone(timezone.utc).replace(tzinfo=None) if fire else after + timedelta(seconds=self.interval)

    def missed_since(self, last_start: datetime | None, now: datetime) -> bool:
        """Was a run due between the portal's last start and ``now`` (both naive UTC)?"""
        if last_start is None:
            return True
        if self.kind == "interval":
            return last_start + timedelta(seconds=self.interval) <= now
        trigger = CronTrigger.from_crontab(self.cron or "", timezone=zone(self.zone))
        due = trigger.get_next_fire_time(None, last_start.replace(tzinfo=timezone.utc))
        return due is not None and due.astimezone(timezone.utc).replace(tzinfo=None) <= now


def first_run(schedule: Schedule, last_start: datetime | None, now: datetime, jitter: float,
              rng: random.Random) -> tuple[datetime | None, str]:
    """When a portal's first run after start-up should be (naive UTC), and why.

    A missed run (or a portal never crawled) runs once, soon, jittered; otherwise the interval
    continues from the last start. Cron schedules continue at their next fire time unless a run
    was missed. The jitter is capped at a tenth of the interval (:meth:`Schedule.jitter`).
    """
    jitter = schedule.jitter(jitter)
    soon = now + timedelta(seconds=1 + rng.uniform(0, jitter))
    if last_start is None:
        return soon, "never crawled"
    if schedule.missed_since(last_start, now):
        return soon, "missed while the daemon was down"
    if schedule.kind == "interval":
        return last_start + timedelta(seconds=schedule.interval + rng.uniform(0, jitter)), "on schedule"
    return schedule.next_slot(now, now) + timedelta(seconds=rng.uniform(0, jitter)), "on schedule"


def backoff_delay(schedule: Schedule, failures: int, after: int) -> timedelta:
    """Extra wait before the next run of a failing portal (zero until ``after`` failures)."""
    if failures < after:
        return timedelta(0)
    factor = min(BACKOFF_MAX_FACTOR, 2 ** (failures - after + 1))
    return min(timedelta(seconds=schedule.interval * factor), max(BACKOFF_MAX, timedelta(seconds=schedule.interval)))
