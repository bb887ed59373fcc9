"""`eduwatch status` tells the operator about a WeCom webhook that WeCom rejected (93000)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eduwatch.config import parse_config
from monitor.shell.status import collect_status, format_status
from storage.database import Database
from storage.models import Subscriber
from tests.config_fixtures import config_toml
from tests.crawler.test_distributed import prefix  # noqa: F401 — fixture


def test_status_names_a_subscriber_whose_webhook_is_wrong(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as session:
        session.add(Subscriber(name="规划科", wecom_webhook="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET1234",
                               wecom_error="93000 invalid webhook url"))
        session.add(Subscriber(name="研究所", email="a@example.org"))
    status = collect_status(sqlite_db, parse_config(config_toml("huilai")))
    assert status["webhook_problems"] == [{"subscriber": "规划科", "error": "93000 invalid webhook url"}]
    text = format_status(status)
    assert "subscriber 规划科: WeCom webhook needs fixing — 93000 invalid webhook url" in text
    assert "研究所" not in text and "SECRET1234" not in text


def test_status_and_portals_show_freshness_and_a_portal_whose_revisits_are_behind(
    sqlite_url: str, tmp_path, capsys  # type: ignore[no-untyped-def]
) -> None:
    """Issue 11: staleness (oldest last-verified), due and overdue documents, next deep walk;
    a portal with documents past their bound is called behind, in the table and in --json."""
    import json
    from datetime import timedelta

    from monitor.shell.cli import main
    from storage.freshness import CheckUpdate, record_checks, record_deep_walk
    from storage.models import Source, utcnow
    from tests.alerts.conftest import add_document, add_portal

    db = Database(sqlite_url)
    now = utcnow()
    with db.transaction() as session:
        portal = add_portal(session)
        urls = [add_document(session, portal, title=f"通知{n}").id for n in range(3)]
    with db.sessions() as session:
        urls = list(session.scalars(select(Source.url).order_by(Source.id)))
    record_checks(db, [
        CheckUpdate(urls[0], now - timedelta(days=9), False, now - timedelta(days=2), now - timedelta(days=1)),
        CheckUpdate(urls[1], now - timedelta(hours=5), False, now - timedelta(minutes=1), now + timedelta(days=6)),
        CheckUpdate(urls[2], now - timedelta(hours=1), False, now + timedelta(days=6), now + timedelta(days=7)),
    ])
    record_deep_walk(db, "huilai", now - timedelta(hours=3), now + timedelta(hours=21))
    config = tmp_path / "c.toml"
    config.write_text(config_toml("huilai", database_url=sqlite_url), encoding="utf-8")
    status = collect_status(db, parse_config(config_toml("huilai", database_url=sqlite_url)))
    fresh = status["portals"][0]["freshness"]
    assert (fresh["known_documents"], fresh["due"], fresh["overdue"], fresh["behind"]) == (3, 2, 1, True)
    assert 9 * 86400 - 120 <= fresh["staleness_seconds"] <= 9 * 86400 + 120
    assert fresh["next_deep_walk"].endswith("Z") and fresh["last_deep_walk"] < fresh["next_deep_walk"]
    text = format_status(status)
    assert "9.0d (2 due, 1 overdue)" in text and "revisits behind: 1 documents past their bound" in text
    assert main(["--config", str(config), "portals", "--json"]) == 0
    [view] = json.loads(capsys.readouterr().out)
    seen = dict(view["freshness"])
    assert abs(seen.pop("staleness_seconds") - fresh["staleness_seconds"]) <= 5  # read a moment later
    assert seen == {key: value for key, value in fresh.items() if key != "staleness_seconds"}
    assert main(["--config", str(config), "portals"]) == 0
    table = capsys.readouterr().out
    assert "9.0d (2 due, 1 overdue)" in table and "revisits behind" in table
    db.dispose()


@pytest.mark.redis
def test_distributed_status_shows_the_queue_and_each_workers_requests_in_flight(sqlite_db: Database, prefix: str) -> None:
    import redis

    from storage.locks import DAEMON_LEASE, DISTRIBUTED_NOTICE, Locks
    from storage.models import utcnow

    server = redis.Redis()
    server.set(f"{prefix}:worker:w1", 1, ex=30)
    server.set(f"{prefix}:worker:w2", 1, ex=30)
    server.hset(f"{prefix}:inflight", mapping={"w1|a": b"x", "w1|b": b"x", "w2|c": b"x", "dead|d": b"x"})
    server.zadd(f"{prefix}:requests", {b"r1": 0, b"r2": 0, b"r3": 0})
    server.rpush(f"{prefix}:start_urls", b"seed")
    config = parse_config(config_toml("huilai", tables=f'[redis]\nurl = "redis://127.0.0.1:6379/0"\nkey_prefix = "{prefix}"\n'))
    locks = Locks(sqlite_db)
    assert "workers" not in collect_status(sqlite_db, config)  # no distributed daemon: Redis is not read
    assert locks.acquire(DAEMON_LEASE, "daemon@h:1:x", 30)
    locks.publish(DISTRIBUTED_NOTICE, "daemon@h:1:x", utcnow())
    status = collect_status(sqlite_db, config)
    assert status["workers"] == {"queued": 3, "seeds": 1, "workers": {"w1": 2, "w2": 1}}
    assert "workers: 3 requests and 1 runs queued; w1 2 in flight, w2 1 in flight" in format_status(status)


def test_status_shows_a_paused_channel_and_a_pass_held_by_a_live_holder(sqlite_db: Database) -> None:
    from alerts.pauses import pause
    from eduwatch.config import DeliveryConfig
    from storage.locks import MONITOR_LEASE, Locks, make_holder
    from storage.models import utcnow

    with sqlite_db.transaction() as session:
        pause(session, "email", "connection refused by smtp.example.org:465", utcnow(), DeliveryConfig())
    holder = make_holder("monitor")
    assert Locks(sqlite_db).acquire(MONITOR_LEASE, holder, ttl=600)
    status = collect_status(sqlite_db, parse_config(config_toml("huilai")))
    assert status["passes"]["monitor"]["holder"] == holder
    [paused] = status["channel_pauses"]
    assert "paused until" in paused and "connection refused" in paused
    text = format_status(status)
    assert f"monitor pass running ({holder} since" in text
    assert any(line.startswith("alerts: ") and "paused until" in line for line in text.splitlines())
