"""Freshness in distributed runs: the seed's worker plans the run's revisits once, every worker
follows that plan, and the revisits no list page reached are queued at the run's first zero.

Two real workers, the local Redis and PostgreSQL, a local portal; time is moved by starting
the workers with ``EDUWATCH_NOW`` (the crawl's clock), never by sleeping.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest
import redis

from crawler.distributed import Keys
from localportals import PortalServer, samples
from storage.database import Database
from tests.crawler.test_distributed import (  # noqa: F401 — prefix and servers are fixtures
    crawl_all, own_database, prefix, servers, start_worker, stop_workers, write_config,
)

pytestmark = [pytest.mark.slow, pytest.mark.redis]
T0 = datetime(2026, 11, 2, 8, 0)


@pytest.fixture
def fresh_db_url(tmp_path: Path) -> Iterator[str]:
    yield from own_database(tmp_path, "distributed_freshness")


def _workers(config: Path, tmp_path: Path, at: datetime, label: str, monkeypatch: pytest.MonkeyPatch) -> list:  # type: ignore[type-arg]
    monkeypatch.setenv("EDUWATCH_NOW", at.isoformat())
    return [start_worker(config, tmp_path / f"{label}-{n}.log") for n in range(2)]


def test_a_revision_below_the_walk_is_found_by_the_workers_revisits(
    tmp_path: Path, prefix: str, fresh_db_url: str, servers: list[PortalServer],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = samples.synthetic_site("generic", 30, seed=41, page_size=10)
    servers.append(PortalServer(site).start())
    config = write_config(tmp_path / "eduwatch.toml", fresh_db_url, [site], prefix, delay=0.02)
    # No deep walks: only a revisit can reach page 3 of the list.
    config.write_text(config.read_text(encoding="utf-8").replace("[crawl]\n", '[crawl]\ndeep_walk_after = "0"\n', 1),
                      encoding="utf-8")
    db = Database(fresh_db_url)
    workers = _workers(config, tmp_path, T0, "first", monkeypatch)
    try:
        first = crawl_all(db, config, [site.name])[site.name]
        assert (first.status, first.docs_new) == ("ok", 30)
    finally:
        stop_workers(workers)
    target = site.listed()[25]  # page 3: the incremental walk stops at page 1
    site.edit_body(target.id, target.body[:12], target.body[:12] + "（修订）")
    site.reset_log()
    workers = _workers(config, tmp_path, T0 + timedelta(days=7), "week", monkeypatch)
    try:
        later = crawl_all(db, config, [site.name])[site.name]
    finally:
        stop_workers(workers)
        db.dispose()
    assert later.status == "ok" and later.docs_updated == 1
    tally = redis.Redis().hgetall(Keys(prefix).run(later.run_id))
    assert b"plan" in tally and int(tally[b"revisits"]) > 0  # planned once, queued at the first zero
    assert any(site.detail_path(target.id) in r.path for r in site.log)
    os.environ.pop("EDUWATCH_NOW", None)
