"""The daemon's parts in-process: schedules, catch-up, backoff, blocked reports, limits, logs, status."""

from __future__ import annotations

import io
import json
import logging
import os
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select

from eduwatch.config import load_config
from localportals import PortalServer, samples
from localportals.faults import Faults
from crawler.runner import crawl_portals_locked
from crawler.supervisor import CrawlLimits
from monitor.shell.daemon import Daemon
from monitor.shell.daemon_lease import _stale_on_this_host
from monitor.shell.schedules import Schedule, backoff_delay, first_run
from monitor.shell.logging_setup import event, redact, setup_logging
from monitor.shell.status import collect_status, format_status
from storage.database import Database
from storage.locks import Lease, Locks
from storage.models import CrawlRun, Portal, utcnow
from storage.runs import Runs
from storage.crawl_leases import busy_portals
from tests.monitor.shell.test_daemon_process import write_config

NOW = datetime(2026, 11, 22, 12, 0, 0)


# --- schedules ----------------------------------------------------------------------------------


def test_missed_interval_runs_once_soon_and_on_time_ones_continue() -> None:
    every_hour = Schedule("interval", 3600.0)
    rng = random.Random(1)
    at, why = first_run(every_hour, NOW - timedelta(days=3), NOW, jitter=60, rng=rng)
    assert why == "missed while the daemon was down"
    assert NOW < at <= NOW + timedelta(seconds=61)
    at, why = first_run(every_hour, NOW - timedelta(minutes=10), NOW, jitter=60, rng=rng)
    assert why == "on schedule"
    assert NOW + timedelta(minutes=50) <= at <= NOW + timedelta(minutes=51)
    at, why = first_run(every_hour, None, NOW, jitter=0, rng=rng)
    assert (at, why) == (NOW + timedelta(seconds=1), "never crawled")


def test_jitter_spreads_a_restart() -> None:
    rng = random.Random(7)
    starts = {first_run(Schedule("interval", 3600.0), None, NOW, jitter=300, rng=rng)[0] for _ in range(20)}
    assert len(starts) == 20
    assert max(starts) - min(starts) > timedelta(seconds=120)


def test_jitter_is_never_more_than_a_tenth_of_the_interval() -> None:
    """Issue 11: the default 300 s of jitter on a 10 s schedule is at most 1 s, at start and on
    every later slot the dispatcher plans."""
    from monitor.shell.dispatch import Dispatcher

    every_10s = Schedule("interval", 10.0)
    rng = random.Random(3)
    firsts = [first_run(every_10s, None, NOW, jitter=300, rng=rng)[0] for _ in range(200)]
    assert all(NOW < at <= NOW + timedelta(seconds=2) for at in firsts)
    assert max(firsts) - min(firsts) > timedelta(seconds=0.5)  # still jittered, just within bounds
    on_time = [first_run(every_10s, NOW - timedelta(seconds=5), NOW, jitter=300, rng=rng)[0] for _ in range(200)]
    assert all(NOW + timedelta(seconds=5) <= at <= NOW + timedelta(seconds=6) for at in on_time)
    dispatcher = Dispatcher({"p": every_10s}, per_child=10, children=1, jitter=300, rng=rng)
    dispatcher.plan("p", NOW)
    dues = []
    for step in range(0, 600):  # one simulated minute in 0.1 s steps, each batch done at once
        now = NOW + timedelta(seconds=step / 10)
        batches, _ = dispatcher.tick(now)
        for batch in batches:
            dues.append(batch.due_at["p"])
            dispatcher.finished(batch, now)
    slots = [(due - NOW).total_seconds() for due in dues]
    assert len(slots) == 6
    assert all(0 <= slot - 10 * k <= 1.0 for k, slot in enumerate(slots))


def test_cron_schedule_detects_a_missed_slot() -> None:
    cron = Schedule("cron", 86400.0, "0 3 * * *")  # 03:00 local time every day
    assert cron.missed_since(NOW - timedelta(days=2), NOW)
    assert not cron.missed_since(NOW - timedelta(seconds=1), NOW)
    at, why = first_run(cron, NOW - timedelta(seconds=1), NOW, jitter=0, rng=random.Random())
    assert why == "on schedule"
    assert NOW < at <= NOW + timedelta(days=1) and at == cron.next_slot(NOW, NOW)


def test_schedule_of_portal_reads_interval_cron_and_default(tmp_path: Path) -> None:
    config_path = tmp_path / "c.toml"
    config_path.write_text(
        '[database]\nurl = "sqlite:///x.db"\n[daemon]\ndefault_schedule = "every 2h"\n'
        '[[portals]]\nname = "a"\ntitle = "A"\nregion = "r"\nplatform = "gkmlpt"\nbase_url = "http://a"\n'
        '[[portals]]\nname = "b"\ntitle = "B"\nregion = "r"\nplatform = "gkmlpt"\nbase_url = "http://b"\n'
        'schedule = "30 */6 * * *"\n',
        encoding="utf-8",
    )
    config = load_config(config_path)
    assert Schedule.of(config.portal("a"), config) == Schedule("interval", 7200.0)
    b = Schedule.of(config.portal("b"), config)
    assert (b.kind, b.cron, b.interval) == ("cron", "30 */6 * * *", 6 * 3600.0)


def test_backoff_grows_past_the_threshold_and_is_capped() -> None:
    hourly = Schedule("interval", 3600.0)
    assert backoff_delay(hourly, 2, after=3) == timedelta(0)
    assert backoff_delay(hourly, 3, after=3) == timedelta(hours=2)
    assert backoff_delay(hourly, 4, after=3) == timedelta(hours=4)
    assert backoff_delay(hourly, 40, after=3) == timedelta(hours=16)
    assert backoff_delay(Schedule("interval", 86400.0 * 2), 10, after=1) == timedelta(days=2)


# --- the database side ----------------------------------------------------------------------------


def _portal_with_runs(db: Database, statuses: list[str], name: str = "p") -> None:
    with db.transaction() as session:
        portal = Portal(name=name, title="P", region="r", platform="gkmlpt", base_url="http://p")
        session.add(portal)
        session.flush()
        for status in statuses:
            session.add(CrawlRun(portal_id=portal.id, status=status, finished_at=utcnow()))


def test_consecutive_failures_count_from_the_latest_run(db: Database) -> None:
    _portal_with_runs(db, ["failed", "ok", "failed", "blocked", "failed"])
    assert Runs(db).consecutive_failures("p") == 3
    _portal_with_runs(db, ["failed", "ok"], name="q")
    assert Runs(db).consecutive_failures("q") == 0


def test_interrupted_runs_are_closed_unless_their_portal_is_being_crawled(db: Database) -> None:
    _portal_with_runs(db, ["running"], name="dead")
    _portal_with_runs(db, ["running"], name="alive")
    locks = Locks(db)
    assert locks.acquire("crawl:alive", "manual@elsewhere:1:x", ttl=60)
    closed = Runs(db).fail_interrupted(busy_portals(locks))
    assert len(closed) == 1
    with db.sessions() as session:
        rows = dict(session.execute(select(Portal.name, CrawlRun.status).join(CrawlRun)).all())
        reason = session.get(CrawlRun, closed[0]).reason
    assert rows == {"dead": "failed", "alive": "running"}
    assert "interrupted" in reason


def test_stale_daemon_lease_of_a_dead_local_process_is_recognised() -> None:
    import socket

    host = socket.gethostname()
    at = datetime(2026, 1, 1)
    assert _stale_on_this_host(Lease("daemon", f"daemon@{host}:999999:abc", at, at))  # no such pid
    assert _stale_on_this_host(Lease("daemon", f"daemon@{host}:{os.getpid()}:old", at, at))  # our pid
    assert not _stale_on_this_host(Lease("daemon", f"daemon@{host}:1:abc", at, at))  # pid 1 lives
    assert not _stale_on_this_host(Lease("daemon", "daemon@elsewhere:999999:abc", at, at))


# --- crawls through the daemon, in-process -------------------------------------------------------


@pytest.fixture
def blocked_site() -> Iterator[PortalServer]:
    site = samples.huilai_site()
    site.faults = Faults(challenge=True)
    server = PortalServer(site).start()
    yield server
    server.stop()


def test_blocked_portal_is_reported_once_and_again_only_after_recovery(
    tmp_path: Path, sqlite_url: str, blocked_site: PortalServer, caplog: pytest.LogCaptureFixture
) -> None:
    config_path = write_config(tmp_path / "c.toml", sqlite_url, [blocked_site.site], schedule="every 1s")
    config = load_config(config_path)
    daemon = Daemon(config, str(config_path), rng=random.Random(0))
    name = blocked_site.site.name
    try:
        with caplog.at_level(logging.INFO, logger="eduwatch.daemon"):
            first = daemon.crawl_portal(name)
            second = daemon.crawl_portal(name)
            assert (first.status, second.status) == ("blocked", "blocked")
            reports = [r for r in caplog.records if r.getMessage() == "portal.blocked"]
            assert len(reports) == 1
            with daemon.db.sessions() as session:
                assert session.scalar(select(Portal.blocked_reported_at).where(Portal.name == name)) is not None
            blocked_site.site.faults = Faults()
            third = daemon.crawl_portal(name)
            assert third.status == "ok"
            assert any(r.getMessage() == "portal.unblocked" for r in caplog.records)
        with daemon.db.sessions() as session:
            assert session.scalar(select(Portal.blocked_reported_at).where(Portal.name == name)) is None
    finally:
        daemon.db.dispose()


def test_failing_portal_backs_off_and_is_reported(
    tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    site = samples.huilai_site()
    server = PortalServer(site).start()
    config_path = write_config(tmp_path / "c.toml", sqlite_url, [site], schedule="every 60s",
                               extra_daemon="failure_backoff_after = 2")
    server.stop()  # connection refused from now on
    config = load_config(config_path)
    daemon = Daemon(config, str(config_path))
    try:
        with caplog.at_level(logging.INFO, logger="eduwatch.daemon"):
            assert daemon.crawl_portal(site.name).status == "failed"
            assert daemon.crawl_portal(site.name).status == "failed"
            assert daemon.crawl_portal(site.name) is None  # backing off: 2 x 60 s not yet over
        messages = [r.getMessage() for r in caplog.records]
        assert messages.count("portal.failing") == 1
        assert "crawl.skipped" in messages
        assert Runs(daemon.db).consecutive_failures(site.name) == 2
        status = collect_status(daemon.db, config)
        assert status["portals"][0]["backing_off"] is True
        assert "backing off after 2 failures" in format_status(status)
    finally:
        daemon.db.dispose()


def test_hanging_crawl_is_stopped_at_its_time_limit(tmp_path: Path, sqlite_url: str) -> None:
    site = samples.synthetic_site("gkmlpt", 40)
    server = PortalServer(site).start()
    try:
        config_path = write_config(tmp_path / "c.toml", sqlite_url, [site], delay=1.0)
        [summary] = crawl_portals_locked(str(config_path), [site.name], limits=CrawlLimits(time_limit=3))
    finally:
        server.stop()
    assert summary.status == "failed"
    assert "time limit of 3 s exceeded" in summary.reason
    db = Database(sqlite_url)
    assert Locks(db).list("crawl:") == []
    db.dispose()


def test_crawl_over_its_memory_limit_fails_with_the_reason(tmp_path: Path, sqlite_url: str) -> None:
    site = samples.huilai_site()
    server = PortalServer(site).start()
    try:
        config_path = write_config(tmp_path / "c.toml", sqlite_url, [site])
        [summary] = crawl_portals_locked(str(config_path), [site.name], limits=CrawlLimits(time_limit=60, memory_mb=64))
    finally:
        server.stop()
    assert summary.status == "failed"
    assert "out of memory: limit 64 MB" in summary.reason


# --- logs -------------------------------------------------------------------------------------------


def test_secrets_are_masked_in_every_log_line() -> None:
    stream = io.StringIO()
    setup_logging(stream=stream)
    log = logging.getLogger("eduwatch.test")
    log.info("posting to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4 now")
    event(log, "db.connect", url="postgresql+psycopg://eduwatch:s3cr3t-pw@db:5432/eduwatch", password="hunter2")
    try:
        raise RuntimeError("login failed for password=hunter2")
    except RuntimeError:
        log.exception("smtp error")
    text = stream.getvalue()
    for secret in ("693a91f6", "s3cr3t-pw", "hunter2"):
        assert secret not in text
    assert "key=***" in text and "eduwatch:***@db" in text
    assert len([line for line in text.splitlines() if line]) == 3  # one line per event, tracebacks folded


def test_json_lines_are_one_object_per_event() -> None:
    stream = io.StringIO()
    setup_logging(json_lines=True, stream=stream)
    event(logging.getLogger("eduwatch.daemon"), "crawl.finished", portal="huilai", docs_new=3,
          reason="see https://x/?key=abc")
    [line] = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "crawl.finished" and record["portal"] == "huilai" and record["docs_new"] == 3
    assert record["reason"] == "see https://x/?key=***"
    assert redact("Authorization: Bearer abc.def") == "Authorization: Bearer ***"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
