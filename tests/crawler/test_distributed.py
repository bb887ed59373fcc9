"""Distributed crawling for real: two ``eduwatch worker`` processes, the local Redis, local portals.

Every test uses its own Redis key prefix and deletes its keys afterwards. The database is
SQLite and, when EDUWATCH_TEST_DATABASE_URL is set, a PostgreSQL database of its own on the
same server (so these tests never drop the schema other tests are using).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from crawler.distributed import Keys, crawl_distributed
from crawler.runner import crawl_portals_locked
from eduwatch.config import load_config
from localportals import PortalServer, Site, samples
from storage.database import Database
from storage.models import CrawlRun, Document, Source
from storage.runs import RunSummary

pytestmark = [pytest.mark.slow, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("EDUWATCH_TEST_DATABASE_URL")


@pytest.fixture
def prefix() -> Iterator[str]:
    server = redis.Redis()
    try:
        server.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    name = f"ewtest-{uuid.uuid4().hex[:10]}"
    yield name
    for key in server.scan_iter(f"{name}:*"):
        server.delete(key)
    server.close()


@pytest.fixture
def shared_db_url(tmp_path: Path) -> Iterator[str]:
    """The shared PostgreSQL when configured (what production uses); else SQLite, which several
    processes on one machine can share too, so the test still runs without a server."""
    yield from own_database(tmp_path, "distributed")


def own_database(tmp_path: Path, suffix: str) -> Iterator[str]:
    """A PostgreSQL database of the test's own, ``<test db>_<suffix>`` (other tests drop the shared
    database's schema while they run), created first and dropped after; SQLite without a server."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    import psycopg

    url = make_url(PG_URL)
    name = f"{url.database}_{suffix}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def servers() -> Iterator[list[PortalServer]]:
    started: list[PortalServer] = []
    yield started
    for server in started:
        server.stop()


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(path: Path, db_url: str, sites: list[Site], prefix: str, delay: float) -> Path:
    lines = ["[database]", f"url = {_q(db_url)}",
             "[crawl]", f"delay = {delay}", "obey_robots = false", "timeout = 10", "retries = 1",
             "[redis]", 'url = "redis://127.0.0.1:6379/0"', f"key_prefix = {_q(prefix)}"]
    for site in sites:
        cfg = site.portal_config()
        lines += ["[[portals]]"] + [f"{k} = {_q(str(cfg[k]))}" for k in ("name", "title", "region", "platform", "base_url")]
        if cfg["platform"] != "gkmlpt":
            lines.append("list_urls = [" + ", ".join(_q(u) for u in cfg["list_urls"]) + "]")  # type: ignore[union-attr]
        if cfg.get("detail_pattern"):
            lines.append(f"detail_pattern = {_q(str(cfg['detail_pattern']))}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_worker(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), EDUWATCH_CRAWL_LOG_LEVEL="INFO")
    return subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "worker"],
                            cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for proc in workers:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in workers:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def crawl_all(db: Database, config_path: Path, names: list[str], **kwargs: object) -> dict[str, RunSummary]:
    """One distributed run per portal, all at once (as the daemon's thread pool would)."""
    config = load_config(config_path)
    results: dict[str, RunSummary] = {}
    errors: list[BaseException] = []

    def one(name: str) -> None:
        try:
            results[name] = crawl_distributed(db, config, name, time_limit=120, stall_timeout=60, **kwargs)
        except BaseException as exc:  # noqa: BLE001 — re-raised below in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    if errors:
        raise errors[0]
    return results


def requests_fetched(log_path: Path) -> int:
    found = re.findall(r"'downloader/request_count': (\d+)", log_path.read_text(encoding="utf-8", errors="replace"))
    return int(found[-1]) if found else 0


def test_two_workers_share_one_queue_and_every_document_arrives_once(
    tmp_path: Path, prefix: str, shared_db_url: str, servers: list[PortalServer]
) -> None:
    sites = [samples.synthetic_site("gkmlpt", 50, seed=1, page_size=10), samples.huantai_jyt_site(), samples.qingdao_site()]
    for site in sites:
        servers.append(PortalServer(site).start())
    names = [site.name for site in sites]
    config = write_config(tmp_path / "eduwatch.toml", shared_db_url, sites, prefix, delay=0.05)
    # What one local crawl of the same portals stores: the reference.
    reference = write_config(tmp_path / "reference.toml", f"sqlite:///{tmp_path / 'reference.db'}", sites, prefix, 0)
    expected = {s.portal: s.docs_new for s in crawl_portals_locked(str(reference), names)}
    ref_db = Database(f"sqlite:///{tmp_path / 'reference.db'}")
    with ref_db.sessions() as session:
        expected_urls = set(session.scalars(select(Source.url)))
    ref_db.dispose()
    # A local run fetches an attachment once per document that links it; nothing else twice.
    local_fetches = {site.name: Counter(r.target for r in site.log if r.method == "GET") for site in sites}
    for site in sites:
        site.reset_log()

    db = Database(shared_db_url)
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [start_worker(config, log) for log in logs]
    try:
        first = crawl_all(db, config, names)
        assert {name: s.status for name, s in first.items()} == {name: "ok" for name in names}
        assert {name: s.docs_new for name, s in first.items()} == expected
        with db.sessions() as session:
            urls = list(session.scalars(select(Source.url)))
            documents = session.scalar(select(func.count(Document.id)))
        assert sorted(urls) == sorted(expected_urls)  # every document, each once
        assert documents == sum(expected.values())
        for site in sites:  # within the run, no URL was fetched twice by the two workers together
            fetched = Counter(record.target for record in site.log if record.method == "GET")
            assert [t for t, n in fetched.items() if n > max(1, local_fetches[site.name][t])] == [], {t: (n, local_fetches[site.name][t]) for t, n in fetched.items() if n > 1 or local_fetches[site.name][t] > 1}
            assert set(fetched) == set(local_fetches[site.name])

        # Incremental runs survive the shared dupefilter: list pages are fetched again, a new
        # document is found, the known ones are not refetched.
        for site in sites:
            site.reset_log()
        plan = samples.huilai_plan(doc_id=sites[0].next_id())
        sites[0].add_doc(plan)
        second = crawl_all(db, config, names)
        assert {name: s.status for name, s in second.items()} == {name: "ok" for name in names}
        assert second[names[0]].docs_new == 1
        assert [second[name].docs_new for name in names[1:]] == [0, 0]
        assert sum(1 for r in sites[0].log if "/gkmlpt/api/" in r.target) >= 1
        assert [r.target for r in sites[0].log if "/content/" in r.target] == [sites[0].detail_path(plan.id)]
    finally:
        stop_workers(workers)
        db.dispose()
    counts = [requests_fetched(log) for log in logs]
    assert all(n > 0 for n in counts), counts  # both workers took part


def test_worker_killed_mid_crawl_loses_no_document(
    tmp_path: Path, prefix: str, sqlite_url: str, servers: list[PortalServer]
) -> None:
    site = samples.synthetic_site("gkmlpt", 60, seed=2, page_size=20)
    servers.append(PortalServer(site).start())
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [site], prefix, delay=0.15)
    db = Database(sqlite_url)
    workers = [start_worker(config, tmp_path / f"worker-{n}.log") for n in range(2)]
    result: dict[str, RunSummary] = {}
    runner = threading.Thread(target=lambda: result.update(crawl_all(db, config, [site.name])))
    try:
        runner.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and db_count(db) < 10:
            time.sleep(0.2)
        assert db_count(db) >= 10, "the crawl did not get under way"
        workers[0].kill()  # SIGKILL: no clean-up of any kind
        workers[0].wait(timeout=10)
        runner.join(timeout=120)
        assert not runner.is_alive()
    finally:
        stop_workers(workers)
    summary = result[site.name]
    assert summary.status == "ok", summary
    assert db_count(db) == len(site.docs)
    assert summary.docs_new == len(site.docs)
    with db.sessions() as session:
        assert session.scalar(select(func.count(CrawlRun.id)).where(CrawlRun.status == "running")) == 0
    assert redis.Redis().hlen(Keys(prefix).inflight) == 0
    db.dispose()


def db_count(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count(Document.id))) or 0
