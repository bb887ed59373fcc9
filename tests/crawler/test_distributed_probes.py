"""Withdrawal probes in distributed runs: two real workers, the local Redis, local portals.

The same outcomes as tests/crawler/test_crawl_incremental.py's local run: a document gone
from the lists is re-requested once per run and its 404s count up; an unchanged portal gets
no probe; and a --full run whose list pages were split over the workers vouches for the whole
list, as one local walk over every page would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import redis
from sqlalchemy import select

from crawler.distributed import Keys
from localportals import PortalServer, Site, samples
from storage.database import Database
from storage.models import Source
from storage.runs import RunSummary
from tests.crawler.test_distributed import (  # noqa: F401 — prefix and servers are fixtures
    crawl_all, own_database, prefix, requests_fetched, servers, start_worker, stop_workers, write_config,
)

pytestmark = [pytest.mark.slow, pytest.mark.redis]


@pytest.fixture
def probes_db_url(tmp_path: Path) -> Iterator[str]:
    yield from own_database(tmp_path, "distributed_probes")


def one_run(db: Database, config: Path, site: Site, **kwargs: object) -> RunSummary:
    site.reset_log()
    summary = crawl_all(db, config, [site.name], **kwargs)[site.name]
    assert (summary.status, summary.errors) == ("ok", 0), summary
    return summary


def probes_decided(prefix: str, run_id: int) -> int:
    """How many probes the run queued (the tally's ``probes`` field; absent if never decided)."""
    raw = redis.Redis().hget(Keys(prefix).run(run_id), "probes")
    assert raw is not None, "no worker decided this run's probes"
    return int(raw)


def content_requests(site: Site) -> list[tuple[str, int]]:
    return [(r.path, r.status) for r in site.log if "/content/" in r.path]


def source_state(db: Database, path: str) -> tuple[int, int | None, int | None]:
    with db.sessions() as session:
        source = session.scalars(select(Source).where(Source.url.endswith(path))).one()
        return source.missing_count, source.http_status, source.last_listed_run_id


def test_removed_document_is_probed_by_the_workers_until_withdrawn(
    tmp_path: Path, prefix: str, probes_db_url: str, servers: list[PortalServer]
) -> None:
    site = samples.huilai_site()
    servers.append(PortalServer(site).start())
    config = write_config(tmp_path / "eduwatch.toml", probes_db_url, [site], prefix, delay=0.05)
    db = Database(probes_db_url)
    workers = [start_worker(config, tmp_path / f"worker-{n}.log") for n in range(2)]
    try:
        one_run(db, config, site)
        unchanged = one_run(db, config, site)
        assert content_requests(site) == []
        assert probes_decided(prefix, unchanged.run_id) == 0

        newest = site.listed()[0]
        path = site.detail_path(newest.id)
        site.remove_doc(newest.id)
        for crawl_number in (1, 2):
            summary = one_run(db, config, site)
            assert content_requests(site) == [(path, 404)]
            assert probes_decided(prefix, summary.run_id) == 1
            missing, status, _listed = source_state(db, path)
            assert (missing, status) == (crawl_number, 404)
    finally:
        stop_workers(workers)
        db.dispose()


def test_full_run_split_over_workers_vouches_for_the_whole_list(
    tmp_path: Path, prefix: str, probes_db_url: str, servers: list[PortalServer]
) -> None:
    site = samples.synthetic_site("gkmlpt", 60, seed=3, page_size=2)
    servers.append(PortalServer(site).start())
    config = write_config(tmp_path / "eduwatch.toml", probes_db_url, [site], prefix, delay=0.05)
    db = Database(probes_db_url)
    logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
    workers = [start_worker(config, log) for log in logs]
    try:
        one_run(db, config, site)
        oldest = site.listed()[-1]
        path = site.detail_path(oldest.id)
        site.remove_doc(oldest.id)

        # Incremental: page 1 only; the oldest document is outside the range it vouches for.
        incremental = one_run(db, config, site)
        assert content_requests(site) == []
        assert probes_decided(prefix, incremental.run_id) == 0

        # --full: every page, parsed by whichever worker took it; together they cover the
        # whole list (the platform's total is reached), so the missing oldest one is probed.
        full = one_run(db, config, site, full=True)
        assert [(p, s) for p, s in content_requests(site) if s != 200] == [(path, 404)]
        assert [p for p, _ in content_requests(site)].count(path) == 1
        assert probes_decided(prefix, full.run_id) == 1
        missing, status, _listed = source_state(db, path)
        assert (missing, status) == (1, 404)
    finally:
        stop_workers(workers)
        db.dispose()
    counts = [requests_fetched(log) for log in logs]
    assert all(n > 0 for n in counts), counts  # both workers took part
