"""A small eduwatch site for the web tests: two portals, a plan revised once, a document whose
title and body hold HTML and <script>, other notices, a subscriber with a feed token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from alerts.subscribers import sync_from_config
from eduwatch.config import Config, parse_config
from monitor.changes.revisions import run_monitor
from storage import feed_tokens
from storage.database import Database
from storage.models import Subscriber
from storage.records import AttachmentRecord, DocumentRecord
from storage.runs import Runs
from storage.store import Store
from tests.config_fixtures import config_toml

SEEDS = Path(__file__).resolve().parents[4] / "localportals" / "seeds"
PLAN_BODY = (SEEDS / "huantai_2023_18.txt").read_text(encoding="utf-8")
PLAN_TITLE = "桓台县人民政府办公室关于印发桓台县推进乡村教育振兴工作方案的通知"
EVIL_TITLE = '<script>alert("t")</script><b>加粗</b>关于教师培训的通知'
EVIL_BODY = '正文<script>alert("b")</script><img src=x onerror=alert(1)>结束'
ADMIN_TOKEN = "test-admin-token-123"
ADMIN_ENV = "EDUWATCH_WEB_TEST_ADMIN_TOKEN"
OTHER_TITLES = [f"关于公布第{n}批财政资金使用情况的通知" for n in range(1, 26)]


@dataclass
class Site:
    config: Config
    db: Database
    plan_id: int
    evil_id: int
    feed_token: str
    other_token: str


def web_config(db_url: str, public_url: str | None = None, smtp_port: int | None = None) -> Config:
    return parse_config(web_config_text(db_url, public_url, smtp_port), source="<web test>")


def web_config_text(db_url: str, public_url: str | None = None, smtp_port: int | None = None) -> str:
    tables = (
        "[[subscribers]]\nname = \"揭阳规划科\"\nemail = \"guihua@example.org\"\nregions = [\"山东省\"]\n"
        "events = [\"new_plan\", \"plan_revised\"]\n"
        "[[subscribers]]\nname = \"other\"\nemail = \"other@example.org\"\nevents = [\"any_new\"]\n"
        f"[web]\nadmin_token_env = \"{ADMIN_ENV}\"\n" + (f"public_url = \"{public_url}\"\n" if public_url else "")
        + (f"[alerts.email]\nhost = \"127.0.0.1\"\nport = {smtp_port}\n" if smtp_port else "")
    )
    return config_toml(
        {"name": "huantai", "title": "桓台县人民政府", "region": "山东省淄博市桓台县", "platform": "generic",
         "list_urls": ["http://127.0.0.1:9/list.html"], "detail_pattern": "/p-\\d+\\.html$"},
        "huilai", database_url=db_url, tables=tables,
    )


def _record(portal: str, number: int, title: str, body: str, **extra) -> DocumentRecord:
    base = "http://127.0.0.1:9" if portal == "huantai" else "http://www.huilai.gov.cn"
    return DocumentRecord(portal=portal, url=f"{base}/p-{number}.html", title=title, body=body, **extra)


def build_site(db_url: str, public_url: str | None = None, smtp_port: int | None = None) -> Site:
    config = web_config(db_url, public_url, smtp_port)
    db = Database(db_url)
    store = Store(db)
    store.sync_portals(config.portals)
    with db.transaction() as session:
        sync_from_config(session, config)
    plan = _record("huantai", 1, PLAN_TITLE, PLAN_BODY, doc_no="桓政办字〔2023〕18号", doc_no_raw="桓政办字〔2023〕18号",
                   publisher="桓台县人民政府办公室", written_date=date(2023, 9, 18), published_date=date(2023, 9, 20),
                   validity="有效", index_no_raw="11370321004355283T/2023-00018",
                   attachments=[AttachmentRecord(name="附件1.docx", url="http://127.0.0.1:9/a1.docx", type="docx",
                                                 text="乡村教师支持计划任务分解表")])
    evil = _record("huilai", 2, EVIL_TITLE, EVIL_BODY)
    others = [_record("huilai", 10 + n, title, f"{title}。本文与财政预算有关。") for n, title in enumerate(OTHER_TITLES)]
    run = Runs(db).open("huantai", full=True)
    store.save_documents([plan], run)
    huilai_run = Runs(db).open("huilai", full=True)
    store.save_documents([evil, *others], huilai_run)
    Runs(db).settle(huilai_run, "连接被重置 (connection reset)")  # a failed crawl, for the health views
    run_monitor(db)
    revised = PLAN_BODY.replace("组建", "新组建", 1).replace("乡村振兴战略", "乡村全面振兴战略", 1)
    store.save_document(_record("huantai", 1, PLAN_TITLE, revised, doc_no="桓政办字〔2023〕18号",
                                doc_no_raw="桓政办字〔2023〕18号", publisher="桓台县人民政府办公室",
                                written_date=date(2023, 9, 18), published_date=date(2023, 9, 20), validity="有效",
                                index_no_raw="11370321004355283T/2023-00018",
                                attachments=plan.attachments), Runs(db).open("huantai", full=False))
    run_monitor(db)
    with db.transaction() as session:
        subscriber = session.query(Subscriber).filter_by(name="揭阳规划科").one()
        token = feed_tokens.issue(session, subscriber)
        other = feed_tokens.issue(session, session.query(Subscriber).filter_by(name="other").one())
    with db.sessions() as session:
        from storage.models import Source

        plan_id = session.query(Source).filter_by(url=plan.url).one().document_id
        evil_id = session.query(Source).filter_by(url=evil.url).one().document_id
    return Site(config, db, plan_id, evil_id, token, other)
