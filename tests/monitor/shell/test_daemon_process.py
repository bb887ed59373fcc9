"""The daemon as a real process (``python -m monitor --config F daemon``) against local portals.

Each test serves imitation portals from this process, writes a config whose schedules are
seconds long, starts the daemon as a subprocess and watches the database (and an aiosmtpd
sink) for what it does. Every child is killed in ``finally``; every wait has a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest
from sqlalchemy import func, select

from localportals import PortalServer, Site, samples
from storage.database import Database
from storage.locks import Locks
from storage.models import Alert, CrawlRun, Document, Event, Portal, utcnow
from tests.alerts.smtp_sink import SmtpSink

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]


# --- helpers ---------------------------------------------------------------------------------------


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(
    path: Path,
    db_url: str,
    sites: Sequence[Site],
    *,
    schedule: str = "every 5s",
    jitter: float = 1.0,
    delay: float = 0.0,
    smtp_port: int | None = None,
    extra_daemon: str = "",
) -> Path:
    lines = [
        "[database]", f"url = {_q(db_url)}",
        "[crawl]", f"delay = {delay}", "obey_robots = false", "timeout = 10", "retries = 0",
        "[daemon]", f"default_schedule = {_q(schedule)}", f"jitter = {jitter}", "deliver_interval = 2",
        "crawl_time_limit = 120", extra_daemon,
    ]
    if smtp_port:
        lines += ["[alerts.email]", 'host = "127.0.0.1"', f"port = {smtp_port}", 'security = "none"',
                  'from = "eduwatch@example.org"', "timeout = 5",
                  "[alerts.delivery]", "backoff_base = 1", "backoff_max = 2"]
    for site in sites:
        cfg = site.portal_config()
        lines += ["[[portals]]"] + [f"{k} = {_q(str(cfg[k]))}" for k in ("name", "title", "region", "platform", "base_url")]
        if cfg.get("list_urls") and cfg["platform"] != "gkmlpt":
            lines.append("list_urls = [" + ", ".join(_q(u) for u in cfg["list_urls"]) + "]")  # type: ignore[union-attr]
        if cfg.get("detail_pattern"):
            lines.append(f"detail_pattern = {_q(str(cfg['detail_pattern']))}")
    if smtp_port:
        lines += ["[[subscribers]]", 'name = "揭阳市教育局规划科"', 'email = "guihua@example.org"',
                  'events = ["new_plan", "plan_revised"]']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start(config: Path, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), EDUWATCH_CRAWL_LOG_LEVEL="WARNING")
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 — closed with the process
    return subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), *args],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


def wait_for(check: Callable[[], object], timeout: float, what: str, poll: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def runs(db: Database, portal: str | None = None) -> list[CrawlRun]:
    with db.sessions() as session:
        query = select(CrawlRun).join(Portal, CrawlRun.portal_id == Portal.id).order_by(CrawlRun.id)
        if portal:
            query = query.where(Portal.name == portal)
        return list(session.scalars(query))


def count(db: Database, model: type, *where: object) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def served() -> Iterator[Callable[[Site], PortalServer]]:
    servers: list[PortalServer] = []

    def serve(site: Site) -> PortalServer:
        servers.append(PortalServer(site).start())
        return servers[-1]

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


# --- tests -----------------------------------------------------------------------------------------


def test_change_on_portal_reaches_subscriber_as_event_and_mail(tmp_path: Path, served, smtp, sqlite_url) -> None:
    """10 s schedule: a body edit on the portal becomes a 'revised' event and an e-mail."""
    site = samples.huilai_site()
    served(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [site], schedule="every 10s", smtp_port=smtp.port)
    log = tmp_path / "daemon.log"
    proc = start(config, "daemon", log=log)
    db = Database(sqlite_url)
    try:
        wait_for(lambda: count(db, Event, Event.kind == "new") >= len(site.docs), 60, "the first crawl's events")
        wait_for(lambda: smtp.messages, 30, "the new-plan mail")
        wait_for(lambda: count(db, Alert, Alert.status.in_(("pending", "sending"))) == 0, 30, "the outbox to drain")
        before = len(smtp.messages)
        changed = time.monotonic()
        site.edit_body(1931056, "教育", "教育教学")  # the rural-education plan (seed 001) …
        site.touch(1931056)  # … re-dated in the list, as portals do when they amend a notice
        wait_for(lambda: len(smtp.messages) > before, 60, "the revision mail")
        latency = time.monotonic() - changed
        with db.sessions() as session:
            revised = session.scalars(select(Event).where(Event.kind == "revised")).all()
        assert len(revised) == 1 and revised[0].is_rural_plan
        subjects = [str(m["Subject"]) for m in smtp.messages[before:]]
        assert any("修订" in subject for subject in subjects), subjects
        assert {m["To"] for m in smtp.messages[before:]} == {"guihua@example.org"}
        print(f"\nchange-to-alert latency with a 10 s schedule: {latency:.1f} s")
        assert latency < 40
        assert proc.poll() is None
    finally:
        stop(proc)
        db.dispose()
    text = log.read_text(encoding="utf-8")
    assert "crawl.finished portal=huilai" in text
    assert "guihua@example.org" not in text or "password" not in text  # nothing secret is configured; sanity


def test_sigterm_stops_mid_crawl_within_30s_and_loses_nothing(tmp_path: Path, served, sqlite_url) -> None:
    site = samples.synthetic_site("gkmlpt", 50)
    served(site)
    # 0.25 s between requests: the first crawl takes ~20 s, so SIGTERM lands mid-crawl. (Scrapy's
    # graceful stop still finishes the requests already handed to the downloader.)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [site], delay=0.25)
    quick = write_config(tmp_path / "quick.toml", sqlite_url, [site], delay=0)
    proc = start(config, "daemon", log=tmp_path / "daemon.log")
    db = Database(sqlite_url)
    try:
        wait_for(lambda: count(db, Document) >= 2, 60, "a crawl to be under way")
        assert count(db, CrawlRun, CrawlRun.status == "running") == 1
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        stop(proc)
    assert code == 0
    assert took < 30
    stopped = runs(db, site.name)
    assert [r.status for r in stopped] == ["failed"]
    assert "stopped by shutdown" in (stopped[0].reason or "")
    assert Locks(db).list("") == []  # daemon lease, crawl lease and next-run notices all released
    saved = count(db, Document)
    assert 0 < saved < len(site.docs)
    # Nothing lost: the next crawl stores exactly the rest, no document twice.
    proc = start(quick, "recrawl", "--portal", site.name, log=tmp_path / "recrawl.log")
    try:
        assert proc.wait(timeout=90) == 0
    finally:
        stop(proc)
    assert count(db, Document) == len(site.docs)
    assert runs(db, site.name)[-1].docs_new == len(site.docs) - saved
    db.dispose()


def test_second_daemon_refuses_to_start(tmp_path: Path, served, sqlite_url) -> None:
    site = samples.huilai_site()
    served(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [site], schedule="every 1h")
    first = start(config, "daemon", log=tmp_path / "first.log")
    db = Database(sqlite_url)
    second = None
    try:
        wait_for(lambda: Locks(db).held("daemon"), 30, "the first daemon's lease")
        holder = Locks(db).held("daemon").holder
        assert holder.startswith(f"daemon@") and f":{first.pid}:" in holder
        second = start(config, "daemon", log=tmp_path / "second.log")
        assert second.wait(timeout=30) == 1
        message = (tmp_path / "second.log").read_text(encoding="utf-8")
        assert "already running on this database" in message and holder in message
        assert first.poll() is None
        assert Locks(db).held("daemon").holder == holder
    finally:
        stop(first)
        if second is not None:
            stop(second)
        db.dispose()


def test_manual_recrawl_during_scheduled_crawl_never_overlaps(tmp_path: Path, served, sqlite_url) -> None:
    site = samples.huilai_site()
    served(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [site], schedule="every 4s", delay=0.15)
    daemon = start(config, "daemon", log=tmp_path / "daemon.log")
    db = Database(sqlite_url)
    manual = None
    try:
        wait_for(lambda: Locks(db).held("crawl:huilai"), 60, "a scheduled crawl to hold the portal")
        # Waiting: runs after the scheduled crawl, never beside it.
        manual = start(config, "recrawl", "--portal", "huilai", log=tmp_path / "manual.log")
        # --no-wait: refused with the holder named.
        refused = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "recrawl", "--portal", "huilai", "--no-wait"],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=60,
        )
        assert refused.returncode == 1
        assert "being crawled" in refused.stderr and "schedule@" in refused.stderr
        assert manual.wait(timeout=120) == 0
        time.sleep(4)  # let the daemon run (or skip) at least once more
    finally:
        stop(daemon)
        if manual is not None:
            stop(manual)
    done = [r for r in runs(db, "huilai") if r.finished_at is not None]
    assert {r.trigger for r in done} >= {"schedule", "manual"}
    for a, b in zip(done, done[1:]):
        assert a.finished_at <= b.started_at + timedelta(seconds=1), (a.id, a.trigger, b.id, b.trigger)
    manual_runs = [r for r in done if r.trigger == "manual"]
    assert len(manual_runs) == 1 and manual_runs[0].status == "ok"
    assert "waiting, a crawl is running" in (tmp_path / "manual.log").read_text(encoding="utf-8")
    # No document fetched twice because of overlap: every document stored once.
    assert count(db, Document) == len(site.docs)
    db.dispose()


def test_restart_after_missed_runs_runs_each_missed_portal_once(tmp_path: Path, served, sqlite_url) -> None:
    huilai, huantai = samples.huilai_site(), samples.huantai_site()
    served(huilai), served(huantai)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [huilai, huantai], schedule="every 1h", jitter=2)
    db = Database(sqlite_url)
    # History: huilai last crawled a day ago (24 missed hourly runs), huantai ten minutes ago.
    with db.transaction() as session:
        for name, title, ago in (("huilai", "惠来县人民政府", timedelta(days=1)),
                                 ("huantai", "桓台县人民政府", timedelta(minutes=10))):
            portal = Portal(name=name, title=title, region="x", platform="gkmlpt", base_url="http://x")
            session.add(portal)
            session.flush()
            session.add(CrawlRun(portal_id=portal.id, started_at=utcnow() - ago, finished_at=utcnow() - ago,
                                 status="ok", trigger="schedule"))
    proc = start(config, "daemon", log=tmp_path / "daemon.log")
    try:
        wait_for(lambda: len(runs(db, "huilai")) == 2 and runs(db, "huilai")[-1].status != "running", 60,
                 "the catch-up run")
        time.sleep(6)  # long enough for any further catch-up runs to have started
        status = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "status", "--json"],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=60,
        )
    finally:
        stop(proc)
    assert [r.trigger for r in runs(db, "huilai")] == ["schedule", "schedule"]
    assert runs(db, "huilai")[-1].status == "ok"
    assert len(runs(db, "huantai")) == 1  # not missed: its next run is 50 minutes away
    import json

    report = json.loads(status.stdout)
    assert report["daemon"]["running"] is True
    by_name = {p["portal"]: p for p in report["portals"]}
    assert by_name["huilai"]["last_crawl"]["status"] == "ok"
    assert by_name["huilai"]["last_crawl"]["docs_new"] == len(huilai.docs)
    assert by_name["huantai"]["next_run"] > by_name["huilai"]["last_crawl"]["finished"]
    db.dispose()


def test_recrawl_url_and_document_refetch_just_that_page(tmp_path: Path, served, sqlite_url) -> None:
    """A body edit the lists do not show is found by ``recrawl --url`` / ``--document``."""
    site = samples.huilai_site()
    served(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [site])
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def eduwatch(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "monitor", "--config", str(config), *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)

    assert eduwatch("recrawl", "--portal", "huilai").returncode == 0
    site.edit_body(1931056, "教育", "教育教学")
    assert "0 updated" in eduwatch("recrawl", "--portal", "huilai").stdout  # the lists show nothing new
    url = site.url(1931056)
    site.reset_log()
    done = eduwatch("recrawl", "--url", url)
    assert done.returncode == 0, done.stderr
    assert "huilai: ok — 0 new, 1 updated" in done.stdout
    details = [r.target for r in site.log if "/content/" in r.target]
    assert details == [site.detail_path(1931056)]  # only the target's page, no other detail page
    db = Database(sqlite_url)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "revised")) == 1
        doc_id = session.scalar(select(Document.id).where(Document.doc_no.is_not(None), Document.body.contains("教育教学")))
    site.edit_body(1931056, "教育教学", "教育")
    done = eduwatch("recrawl", "--document", str(doc_id))
    assert done.returncode == 0 and "1 updated" in done.stdout
    assert eduwatch("recrawl", "--url", "http://127.0.0.1:9/nowhere").returncode == 1
    assert eduwatch("recrawl", "--document", "999999").returncode == 1
    db.dispose()


def test_daemon_killed_outright_is_replaced_at_once_on_the_same_host(tmp_path: Path, served, sqlite_url) -> None:
    site = samples.huilai_site()
    served(site)
    config = write_config(tmp_path / "eduwatch.toml", sqlite_url, [site], schedule="every 1h")
    first = start(config, "daemon", log=tmp_path / "first.log")
    db = Database(sqlite_url)
    second = None
    try:
        wait_for(lambda: Locks(db).held("daemon"), 30, "the first daemon's lease")
        first.kill()  # SIGKILL: the lease stays behind, unexpired
        first.wait(timeout=10)
        assert Locks(db).held("daemon") is not None
        second = start(config, "daemon", log=tmp_path / "second.log")
        wait_for(lambda: (Locks(db).held("daemon") or None) and f":{second.pid}:" in Locks(db).held("daemon").holder,
                 30, "the new daemon to take the lease over")
        assert second.poll() is None
        assert "daemon.took_over_stale_lease" in (tmp_path / "second.log").read_text(encoding="utf-8")
    finally:
        stop(first)
        if second is not None:
            stop(second)
        db.dispose()
