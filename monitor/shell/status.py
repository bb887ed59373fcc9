"""What ``eduwatch status`` shows: the daemon, each portal's last crawl, next run and how late its
scheduled runs start (:mod:`monitor.shell.timeliness`), its freshness
(:mod:`monitor.shell.freshness_view`), the outbox.

Everything is read from the database, so ``status`` works from any machine and while the
daemon runs: the daemon's state is its ``daemon`` lease (holder, start, heartbeat), next runs
are the ``schedule:<portal>`` rows it publishes, running crawls are the ``crawl:<portal>``
leases, and alert counts come from the ``alerts`` table.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from alerts.outbox import webhook_problems
from alerts.pauses import paused
from eduwatch.config import Config
from monitor.shell.cli.table import cut, format_table, json_time, show_time, time_header
from storage.database import Database
from storage.freshness import portal_freshness
from storage.locks import (
    DAEMON_LEASE,
    DAEMON_LEASE_TTL,
    DELIVER_LEASE,
    DISTRIBUTED_NOTICE,
    MONITOR_LEASE,
    SCHEDULE_PREFIX,
    Locks,
)
from storage.models import Alert, Portal
from monitor.shell.freshness_view import behind_note, freshness_figures, show_staleness
from monitor.shell.schedules import Schedule
from monitor.shell.timeliness import RECENT_RUNS, lag_figures, show_lag
from storage.runs import Runs
from storage.crawl_leases import CRAWL_LEASE_PREFIX


def collect_status(db: Database, config: Config) -> dict[str, Any]:
    locks = Locks(db)
    now = locks.now()
    daemon_lease = locks.get(DAEMON_LEASE)
    alive = daemon_lease is not None and daemon_lease.alive(now)
    daemon: dict[str, Any] = {"running": alive}
    if daemon_lease is not None:
        heartbeat = daemon_lease.expires_at - timedelta(seconds=DAEMON_LEASE_TTL)
        daemon.update(
            holder=daemon_lease.holder,
            started=json_time(daemon_lease.acquired_at),
            last_heartbeat=json_time(heartbeat),
            heartbeat_age_seconds=round(max(0.0, (now - heartbeat).total_seconds()), 1),
        )
        if not alive:
            daemon["note"] = "lease expired: the daemon stopped without releasing it (killed?)"
    next_runs = {
        lease.name.split(":", 1)[1]: lease.expires_at
        for lease in locks.list(SCHEDULE_PREFIX)
        if alive and daemon_lease is not None and lease.holder == daemon_lease.holder
    }
    crawling = {
        lease.name.split(":", 1)[1]: {"holder": lease.holder, "since": json_time(lease.acquired_at)}
        for lease in locks.list(CRAWL_LEASE_PREFIX)
        if lease.alive(now)
    }
    portals = []
    runs = Runs(db)
    last_finished = runs.latest(finished=True)
    starts = runs.recent_starts(RECENT_RUNS)
    freshness = portal_freshness(db, now)
    with db.sessions() as session:
        rows = {p.name: p for p in session.scalars(select(Portal))}
        for portal in config.portals:
            row = rows.get(portal.name)
            last = last_finished.get(portal.name)
            failures = runs.consecutive_failures(portal.name) if row is not None else 0
            entry: dict[str, Any] = {
                "portal": portal.name,
                "enabled": portal.enabled,
                "schedule": portal.schedule or config.daemon.default_schedule,
                "last_crawl": None,
                "next_run": json_time(next_runs.get(portal.name)),
                "crawling_now": crawling.get(portal.name),
                "consecutive_failures": failures,
                "backing_off": failures >= config.daemon.failure_backoff_after,
                "blocked_reported_at": json_time(row.blocked_reported_at) if row is not None else None,
                "schedule_lag": lag_figures(starts.get(portal.name, []), Schedule.of(portal, config).interval),
                "freshness": freshness_figures(freshness.get(portal.name), now),
            }
            if last is not None:
                entry["last_crawl"] = {
                    "run": last.id,
                    "started": json_time(last.started_at),
                    "finished": json_time(last.finished_at),
                    "trigger": last.trigger,
                    "status": last.status,
                    "reason": last.reason,
                    "docs_new": last.docs_new,
                    "docs_updated": last.docs_updated,
                    "pages": last.pages_fetched,
                    "errors": last.errors,
                }
            portals.append(entry)
        counts = dict(session.execute(select(Alert.status, func.count(Alert.id)).group_by(Alert.status)).all())
        problems = [{"subscriber": name, "error": error} for name, error in webhook_problems(session)]
        pauses = [pause.describe() for pause in paused(session, now).values()]
    alerts = {status: int(counts.get(status, 0)) for status in ("pending", "sending", "failed", "dead", "sent")}
    result = {"now": json_time(now), "daemon": daemon, "portals": portals, "alerts": alerts,
              "webhook_problems": problems, "channel_pauses": pauses, "passes": _passes(locks, now)}
    notice = locks.get(DISTRIBUTED_NOTICE)
    if alive and daemon_lease is not None and notice is not None and notice.holder == daemon_lease.holder:
        result["workers"] = _worker_queues(config)
    return result


def _passes(locks: Locks, now: datetime) -> dict[str, dict[str, str]]:
    """The change pass and delivery held right now, and by whom: work waiting on a live holder."""
    held = {}
    for name in (MONITOR_LEASE, DELIVER_LEASE):
        lease = locks.get(name)
        if lease is not None and lease.alive(now):
            held[name] = {"holder": lease.holder, "since": json_time(lease.acquired_at)}
    return held


def _worker_queues(config: Config) -> dict[str, Any]:
    """Distributed mode: the shared queue's depth and each live worker's requests in flight."""
    import redis

    from crawler.distributed.depth import queue_depths
    from crawler.distributed.keys import Keys

    try:
        server = redis.Redis.from_url(config.redis.url, socket_timeout=2, socket_connect_timeout=2)
        try:
            return queue_depths(server, Keys(config.redis.key_prefix))
        finally:
            server.close()
    except redis.RedisError as exc:
        return {"error": f"Redis not readable: {type(exc).__name__}"}


def format_status(status: dict[str, Any]) -> str:
    """The human-readable form: a daemon line, a portal table, an alerts line."""
    lines: list[str] = []
    daemon = status["daemon"]
    if daemon["running"]:
        lines.append(
            f"daemon: running ({daemon['holder']}), started {show_time(daemon['started'], labelled=True)}, "
            f"last heartbeat {daemon['heartbeat_age_seconds']:.0f} s ago"
        )
    elif daemon.get("holder"):
        lines.append(f"daemon: not running — {daemon.get('note')} (last holder {daemon['holder']})")
    else:
        lines.append("daemon: not running")
    header = ["portal", time_header("last crawl"), "result", "new", "upd", "errors", time_header("next run"), "lag med/last",
              "on time", "stale", "note"]
    rows = []
    for entry in status["portals"]:
        last = entry["last_crawl"] or {}
        notes = []
        if entry["crawling_now"]:
            notes.append(f"crawling now ({entry['crawling_now']['holder']})")
        if entry["backing_off"]:
            notes.append(f"backing off after {entry['consecutive_failures']} failures")
        if entry["blocked_reported_at"]:
            notes.append(f"blocked (reported {show_time(entry['blocked_reported_at'])})")
        if behind_note(entry["freshness"]):
            notes.append(str(behind_note(entry["freshness"])))
        if last.get("reason"):  # an ok run's reason is a note (e.g. stopped at max_list_pages)
            notes.append(cut(str(last["reason"]), 48))
        if not entry["enabled"]:
            notes.append("disabled")
        rows.append([
            entry["portal"],
            show_time(last.get("finished") or last.get("started"), "never"),
            last.get("status", ""),
            str(last.get("docs_new", "")),
            str(last.get("docs_updated", "")),
            str(last.get("errors", "")),
            show_time(entry["next_run"], "—"),
            *show_lag(entry["schedule_lag"]),
            show_staleness(entry["freshness"]),
            "; ".join(notes),
        ])
    lines.append(format_table(header, rows))
    alerts = status["alerts"]
    lines.append(
        "alerts: " + ", ".join(f"{alerts[key]} {key}" for key in ("pending", "sending", "failed", "dead", "sent"))
    )
    workers = status.get("workers")
    if workers is not None:
        lines.append(_format_workers(workers))
    for pause in status.get("channel_pauses", []):
        lines.append(f"alerts: {pause}")
    for name, held in status.get("passes", {}).items():
        lines.append(f"{name} pass running ({held['holder']} since {show_time(held['since'])})")
    for problem in status["webhook_problems"]:
        lines.append(f"subscriber {problem['subscriber']}: WeCom webhook needs fixing — {problem['error']}")
    return "\n".join(lines)


def _format_workers(workers: dict[str, Any]) -> str:
    if "error" in workers:
        return f"workers: {workers['error']}"
    each = ", ".join(f"{name} {count} in flight" for name, count in workers["workers"].items()) or "none alive"
    return f"workers: {workers['queued']} requests and {workers['seeds']} runs queued; {each}"
