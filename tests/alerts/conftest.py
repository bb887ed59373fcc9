"""Fixtures for alerts tests: a real SMTP sink, the local WeCom, DingTalk and Feishu robot imitations, documents and events."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.orm import Session

from alerts.outbox import enqueue_alerts
from eduwatch.config import Config, CrawlConfig, DatabaseConfig, DeliveryConfig, EmailConfig, WecomConfig
from storage.models import CrawlRun, Document, Event, Portal, Source
from localportals.robots import DingTalkServer, FeishuServer
from localportals.wecom import WecomServer
from tests.alerts.smtp_sink import SmtpSink

FIXTURES = Path(__file__).with_name("fixtures")
OUTPUT = Path(__file__).resolve().parents[1] / "output"
KEYS = {"alpha-key-0001", "beta-key-0002", "gamma-key-0003"}


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def wecom() -> Iterator[WecomServer]:
    server = WecomServer(keys=set(KEYS)).start()
    yield server
    server.stop()


@pytest.fixture
def dingtalk() -> Iterator[DingTalkServer]:
    """A DingTalk imitation: robot ``9f3ad1e07c2b0001`` signs ("加签"), ``9f3ad1e07c2b0002`` does not."""
    server = DingTalkServer(robots={"9f3ad1e07c2b0001": "SEC5e0c2d4b6a8f1e3d", "9f3ad1e07c2b0002": None}).start()
    yield server
    server.stop()


@pytest.fixture
def feishu() -> Iterator[FeishuServer]:
    """A Feishu imitation: bot ``3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0001`` verifies signatures, ``3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0002`` does not."""
    server = FeishuServer(robots={"3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0001": "fsSecretQ9w8e7", "3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0002": None}).start()
    yield server
    server.stop()


def alert_tables(smtp: SmtpSink, wecom: WecomServer) -> str:
    """TOML for the CLI: e-mail through ``smtp``, and subscriber "team" (广东省) on both channels."""
    return f"""[alerts.email]
host = "127.0.0.1"
port = {smtp.port}
from = "eduwatch@alerts.example"
[[subscribers]]
name = "team"
email = "team@example.org"
wecom_webhook = "{wecom.url('alpha-key-0001')}"
regions = ["广东省"]
"""


def make_config(db_url: str, smtp_port: int = 1, *, max_attempts: int = 4, rate: int = 20,
                shipped_delivery: bool = False) -> Config:
    """A test config; ``shipped_delivery``: [alerts.delivery] exactly as shipped (8 attempts, 30 s … 1 h)."""
    return Config(
        database=DatabaseConfig(url=db_url),
        crawl=CrawlConfig(),
        portals=(),
        email=EmailConfig(host="127.0.0.1", port=smtp_port, from_addr="eduwatch@alerts.example", timeout=5),
        wecom=WecomConfig(rate_per_minute=rate, timeout=5),
        delivery=DeliveryConfig() if shipped_delivery else DeliveryConfig(max_attempts=max_attempts, backoff_base=10,
                                                                          backoff_max=600),
    )


def add_portal(session: Session, name: str = "huilai", region: str = "广东省揭阳市惠来县", title: str = "惠来县人民政府") -> Portal:
    portal = Portal(name=name, title=title, region=region, platform="gkmlpt", base_url=f"http://www.{name}.gov.cn")
    session.add(portal)
    session.flush()
    return portal


_counter = iter(range(1, 1_000_000))


def add_document(
    session: Session,
    portal: Portal,
    title: str = "关于印发乡村教育振兴行动方案的通知",
    body: str = "为推进乡村教育振兴，制定本方案。",
    *,
    plan: bool = True,
    **fields: object,
) -> Document:
    n = next(_counter)
    document = Document(
        title=title,
        body=body,
        content_hash=f"{n:064d}",
        publisher=fields.pop("publisher", "惠来县人民政府办公室"),
        is_rural_plan=plan,
        rural_score=9.0 if plan else 0.0,
        rural_evidence=[{"field": "title", "phrase": "乡村教育", "weight": 3.0, "count": 1}] if plan else [],
        **fields,
    )
    session.add(document)
    session.flush()
    session.add(Source(url=f"{portal.base_url}/gkmlpt/content/{n}.html", document_id=document.id, portal_id=portal.id))
    session.flush()
    return document


def add_run(session: Session, portal: Portal, monitored: bool = True) -> CrawlRun:
    run = CrawlRun(portal_id=portal.id, status="ok", monitored=monitored)
    session.add(run)
    session.flush()
    return run


def add_event(
    session: Session,
    document: Document,
    portal: Portal | None,
    kind: str = "new",
    *,
    run: CrawlRun | None = None,
    details: dict | None = None,
    at: datetime | None = None,
) -> Event:
    """What the monitor does: add the event, flush, enqueue its alerts in the same transaction."""
    event = Event(
        kind=kind,
        document_id=document.id,
        portal_id=portal.id if portal else None,
        crawl_run_id=run.id if run else None,
        is_rural_plan=bool(document.is_rural_plan),
        summary=f"{kind}: {document.title}",
        details=details,
    )
    if at is not None:
        event.at = at
    session.add(event)
    session.flush()
    enqueue_alerts(session, event)
    return event


def seed_001() -> dict[str, object]:
    """Seed 001 (惠来县 教育行动方案) as document fields: metadata from its header, body after it."""
    text = (FIXTURES / "seed_001_huilai.txt").read_text(encoding="utf-8")
    body = text.split("浏览次数:-", 1)[1].strip()
    return {
        "title": "惠来县人民政府办公室关于印发惠来县“百县千镇万村高质量发展工程”教育行动方案(2023-2027年)的通知",
        "index_no_raw": "114452240070359782/2023-00093",
        "doc_no_raw": "惠府办函〔2023〕260号",
        "publisher": "惠来县人民政府办公室",
        "category": "科技、教育、通知",
        "written_date": date(2023, 10, 12),
        "published_date": date(2023, 11, 10),
        "body": body,
    }


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``eduwatch ARGV`` in this process: (exit code, stdout, stderr)."""
    from monitor.shell.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def add_plan(db_url: str) -> None:
    """One plan document with its ``new`` event, on portal huilai (added if missing)."""
    from sqlalchemy import select

    from storage.database import Database

    db = Database(db_url)
    with db.transaction() as session:
        portal = session.scalar(select(Portal).where(Portal.name == "huilai")) or add_portal(session)
        add_event(session, add_document(session, portal), portal)
    db.dispose()
