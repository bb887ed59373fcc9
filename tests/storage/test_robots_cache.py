"""storage.robots_cache on SQLite and PostgreSQL: one row per origin, replaced in place."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storage.database import Database
from storage.robots_cache import CachedRobots, cached_origins, forget_robots, load_robots, origin_of, save_robots

T0 = datetime(2026, 11, 22, 8, 0, 0)


@pytest.mark.parametrize(("url", "origin"), [
    ("http://www.Huilai.gov.cn/gkmlpt/index", "http://www.huilai.gov.cn:80"),
    ("https://jyj.qingdao.gov.cn/a?b=1", "https://jyj.qingdao.gov.cn:443"),
    ("http://127.0.0.1:8123/robots.txt", "http://127.0.0.1:8123"),
    ("https://[::1]:8443/x", "https://[::1]:8443"),
])
def test_origin_is_scheme_host_and_port(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_http_and_https_of_one_host_are_different_origins() -> None:
    assert origin_of("http://www.gov.cn/") != origin_of("https://www.gov.cn/")


def test_save_load_and_replace(db: Database) -> None:
    origin = "http://www.huilai.gov.cn:80"
    assert load_robots(db, origin) is None
    first = CachedRobots(origin, 200, b"User-agent: *\nDisallow: /a/\n", T0, etag='"abc"', last_modified="Sun, 22 Nov 2026 07:00:00 GMT")
    save_robots(db, first)
    assert load_robots(db, origin) == first

    later = CachedRobots(origin, 404, b"<html>not found</html>", T0 + timedelta(hours=25))
    save_robots(db, later)  # an upsert: the same origin is one row
    assert load_robots(db, origin) == later
    assert cached_origins(db) == [origin]


def test_binary_body_round_trips(db: Database) -> None:
    body = "User-agent: *\nDisallow: /公开/\n".encode("gbk") + b"\x00\xff"
    save_robots(db, CachedRobots("http://a.example:80", 200, body, T0))
    assert load_robots(db, "http://a.example:80").body == body  # type: ignore[union-attr]


def test_forget_one_or_all(db: Database) -> None:
    for host in ("a", "b", "c"):
        save_robots(db, CachedRobots(f"http://{host}.example:80", 200, b"", T0))
    assert forget_robots(db, "http://b.example:80") == 1
    assert cached_origins(db) == ["http://a.example:80", "http://c.example:80"]
    assert forget_robots(db) == 2
    assert cached_origins(db) == []


def test_two_databases_objects_see_one_cache(db_url: str) -> None:
    """What one crawler process stores, another (a worker elsewhere) reads."""
    writer, reader = Database(db_url), Database(db_url)
    try:
        save_robots(writer, CachedRobots("http://x.example:80", 200, b"Disallow: /", T0))
        assert load_robots(reader, "http://x.example:80").body == b"Disallow: /"  # type: ignore[union-attr]
    finally:
        writer.dispose()
        reader.dispose()


def test_freshness_is_judged_by_the_reader() -> None:
    entry = CachedRobots("http://a.example:80", 200, b"", T0)
    day = timedelta(hours=24)
    assert entry.fresh(T0 + timedelta(hours=23, minutes=59), day)
    assert not entry.fresh(T0 + day, day)
    assert not entry.fresh(T0 + timedelta(hours=1), timedelta(hours=1))
    assert not entry.fresh(T0 - timedelta(minutes=5), day)  # fetched "in the future": a clock went back
