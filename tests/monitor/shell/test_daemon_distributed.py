"""``eduwatch daemon --distributed`` with ``eduwatch worker`` processes: the whole loop through Redis."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from localportals import samples
from storage.database import Database
from storage.locks import Locks
from storage.models import Event
from tests.crawler.test_distributed import prefix, write_config  # noqa: F401 — fixture and helper
from tests.monitor.shell.test_daemon_process import count, runs, served, start, stop, wait_for  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def test_distributed_daemon_schedules_runs_that_workers_do(tmp_path: Path, served, prefix: str, sqlite_url: str) -> None:
    site = samples.huilai_site()
    served(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [site], prefix, delay=0.0)
    text = config.read_text(encoding="utf-8").replace(
        "[redis]", '[daemon]\ndefault_schedule = "every 4s"\njitter = 1\ndeliver_interval = 1\n[redis]')
    config.write_text(text, encoding="utf-8")
    daemon = start(config, "daemon", "--distributed", log=tmp_path / "daemon.log")
    worker = start(config, "worker", log=tmp_path / "worker.log")
    db = Database(sqlite_url)
    try:
        wait_for(lambda: len([r for r in runs(db, "huilai") if r.status == "ok"]) >= 2, 90, "two runs done by the worker")
        assert {r.trigger for r in runs(db, "huilai")} == {"schedule"}
        assert runs(db, "huilai")[0].docs_new == len(site.docs)
        wait_for(lambda: count(db, Event, Event.kind == "new") == len(site.docs), 30, "events from the monitor pass")
        plan = samples.huilai_plan(doc_id=site.next_id())
        plan.doc_no, plan.index_no, plan.title = "惠府办函〔2024〕1号", "114452240070359782/2024-00001", plan.title + "（2024年）"
        site.add_doc(plan)
        wait_for(lambda: count(db, Event, Event.kind == "new") == len(site.docs), 60, "the new document's event")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        stop(daemon)
        stop(worker)
    assert [r.status for r in runs(db, "huilai") if r.status == "running"] == []
    assert Locks(db).list("") == []
    with db.sessions() as session:
        assert session.scalar(select(Event.id).where(Event.kind == "new").order_by(Event.id.desc()).limit(1))
    db.dispose()
