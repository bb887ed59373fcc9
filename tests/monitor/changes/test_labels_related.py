"""People's labels override the classifier; becoming a plan alerts once; related pages do not alert twice."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.changes.classification import label_document, labelled_documents, reclassify_all
from monitor.changes.classifier.corpus import load_labels, write_labels
from monitor.changes.related import related_pages
from monitor.changes.revisions import run_monitor
from storage.database import Database
from storage.models import Alert, Document, Event, Subscriber
from storage.records import DocumentRecord
from storage.store import Store
from tests.monitor.changes.test_revisions import SEED, TITLE, crawl, huantai, store  # noqa: F401  (fixture)

# A township-school plan worded so that no rule of the classifier recognises it as one.
QUIET_TITLE = "某县小学办学条件改善方案"
QUIET_BODY = "为改善全县小学办学条件，制定本方案。一、改造校舍。二、配齐设备。三、加强管理。"
NEWS_TITLE = "我县出台乡村教育振兴新举措"
NEWS_BODY = (
    "近日，县政府办公室印发《桓台县推进乡村教育振兴工作方案》，明确到2027年乡村学校办学条件全面改善，"
    "乡村教师队伍素质全面提升，城乡学校结对帮扶全覆盖，乡镇中心幼儿园全部达标。"
)
READING_TITLE = "《桓台县推进乡村教育振兴工作方案》政策解读"
READING_BODY = "桓政办字〔2023〕18号文件解读：方案提出乡村学校办学条件提档升级、乡村教师配置增效等十项任务。"


def page(url: str, title: str, body: str, **changes) -> DocumentRecord:
    fields = dict(portal="huantai", url=url, title=title, title_key=title, body=body,
                  publisher="桓台县融媒体中心", published_date=date(2023, 9, 20), site="www.huantai.gov.cn")
    fields.update(changes)
    return DocumentRecord(**fields)


def subscribe(db: Database) -> None:
    with db.transaction() as session:
        session.add(Subscriber(name="教育局", email="jyj@example.org", events=["new_plan"]))


def plan_alerts(db: Database) -> list[Event]:
    """Events that reached a new_plan subscriber's outbox."""
    with db.sessions() as session:
        return list(session.scalars(select(Event).join(Alert, Alert.event_id == Event.id).order_by(Event.id)))


def document_id(db: Database, title: str) -> int:
    with db.sessions() as session:
        return session.scalars(select(Document.id).where(Document.title == title)).one()


# --- labels ------------------------------------------------------------------------------------


def test_label_overrides_the_classifier_and_raises_new_plan_once(store: Store, db: Database) -> None:
    subscribe(db)
    crawl(store, page("http://www.huantai.gov.cn/doc/9.html", QUIET_TITLE, QUIET_BODY))
    run_monitor(db)
    doc = document_id(db, QUIET_TITLE)
    assert plan_alerts(db) == []  # the classifier misses it

    result = label_document(db, doc, is_plan=True, by="张老师", note="乡镇小学改薄方案")
    assert result.is_plan and not result.classifier_said and result.new_plan_event is not None
    assert [e.id for e in plan_alerts(db)] == [result.new_plan_event]
    assert label_document(db, doc, is_plan=True, by="张老师").new_plan_event is None  # once

    crawl(store, page("http://www.huantai.gov.cn/doc/9.html", QUIET_TITLE, QUIET_BODY + "四、加强督导。"))
    run_monitor(db)
    reclassify_all(db)
    with db.sessions() as session:
        stored = session.get(Document, doc)
        assert stored.is_rural_plan is True  # the label holds through the pass and reclassify
        label = [e for e in stored.rural_evidence if e["field"] == "label"][0]
        assert label["by"] == "张老师" and label["phrase"] == "plan"
        verdict = [e for e in stored.rural_evidence if e["field"] == "verdict"][0]
        assert verdict["classifier"] is False
    assert len(plan_alerts(db)) == 1


def test_a_plan_labelled_not_a_plan_alerts_nobody(store: Store, db: Database) -> None:
    subscribe(db)
    crawl(store, huantai())
    run_monitor(db)
    assert len(plan_alerts(db)) == 1
    result = label_document(db, document_id(db, TITLE), is_plan=False, by="李老师")
    assert result.new_plan_event is None
    reclassify_all(db)
    with db.sessions() as session:
        assert session.get(Document, document_id(db, TITLE)).is_rural_plan is False
    assert len(plan_alerts(db)) == 1


def test_label_of_a_missing_document_is_a_lookup_error(db: Database) -> None:
    with pytest.raises(LookupError, match="no document with id 42"):
        label_document(db, 42, is_plan=True, by="x")


def test_export_writes_latest_labels_in_the_corpus_format(store: Store, db: Database, tmp_path: Path) -> None:
    crawl(store, huantai(), page("http://www.huantai.gov.cn/doc/9.html", QUIET_TITLE, QUIET_BODY))
    run_monitor(db)
    label_document(db, document_id(db, QUIET_TITLE), is_plan=False, by="a")
    label_document(db, document_id(db, QUIET_TITLE), is_plan=True, by="b", note="县级改薄方案")
    path = tmp_path / "labels.jsonl"
    assert write_labels(labelled_documents(db), path) == 1
    [entry] = load_labels(path)
    assert entry["label"] is True and entry["reason"] == "县级改薄方案" and entry["labelled_by"] == "b"
    assert entry["title"] == QUIET_TITLE and entry["body"] and "url" in entry
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])["id"] == f"doc_{document_id(db, QUIET_TITLE)}"


# --- reclassify --------------------------------------------------------------------------------


def test_reclassify_raises_new_plan_exactly_once_for_a_document_that_became_a_plan(store: Store, db: Database) -> None:
    subscribe(db)
    crawl(store, huantai())
    run_monitor(db)
    with db.transaction() as session:  # as if an earlier rule had missed it: no plan alert then
        session.execute(Alert.__table__.delete())
        session.execute(Event.__table__.delete())
        session.scalars(select(Document)).one().is_rural_plan = False
    first = reclassify_all(db)
    assert first.changed == [1] and len(first.new_plans) == 1
    second = reclassify_all(db)
    assert second.changed == [] and second.new_plans == []
    [alerted] = plan_alerts(db)
    assert alerted.kind == "new" and alerted.is_rural_plan and alerted.details["became_plan"] == "重新判定"


def test_reclassify_of_a_plan_that_already_alerted_raises_nothing(store: Store, db: Database) -> None:
    subscribe(db)
    crawl(store, huantai())
    run_monitor(db)
    with db.transaction() as session:
        session.scalars(select(Document)).one().is_rural_plan = False
    assert reclassify_all(db).new_plans == []
    assert len(plan_alerts(db)) == 1


# --- related pages -----------------------------------------------------------------------------


def test_news_and_reading_pages_are_linked_to_the_plan_without_a_second_alert(store: Store, db: Database) -> None:
    subscribe(db)
    crawl(store, huantai())
    run_monitor(db)
    crawl(store, page("http://www.huantai.gov.cn/news/1.html", NEWS_TITLE, NEWS_BODY),
          page("http://www.huantai.gov.cn/news/2.html", READING_TITLE, READING_BODY))
    run_monitor(db)
    assert len(plan_alerts(db)) == 1
    plan, news, reading = (document_id(db, t) for t in (TITLE, NEWS_TITLE, READING_TITLE))
    with db.sessions() as session:
        assert session.get(Document, news).is_rural_plan is True  # it is a plan's trace ...
        news_event = session.scalars(select(Event).where(Event.document_id == news)).one()
        assert news_event.is_rural_plan is False and news_event.details["related_to"] == plan  # ... announced as a page
        links = related_pages(session, session.get(Document, plan))
        assert {(link.page_id, link.via) for link in links} == {(news, "title"), (reading, "title")}
        [back] = related_pages(session, session.get(Document, news))
        assert back.plan_id == plan and back.title == TITLE


def test_a_plan_seen_after_its_news_report_does_not_alert_again(store: Store, db: Database) -> None:
    subscribe(db)
    crawl(store, page("http://www.huantai.gov.cn/news/1.html", NEWS_TITLE, NEWS_BODY))
    run_monitor(db)
    assert len(plan_alerts(db)) == 1  # the report is the only trace so far: it alerts
    crawl(store, huantai())
    run_monitor(db)
    assert len(plan_alerts(db)) == 1
    with db.sessions() as session:
        plan_event = session.scalars(select(Event).where(Event.document_id == document_id(db, TITLE))).one()
        assert plan_event.is_rural_plan is False and plan_event.details["related_via"] == "title"


def test_a_page_naming_the_plan_by_its_doc_no_is_linked(store: Store, db: Database) -> None:
    crawl(store, huantai())
    run_monitor(db)
    body = "近日，我县就桓政办字[2023]18号文件召开解读会。" + "乡村学校办学条件提档升级。" * 3
    crawl(store, page("http://www.huantai.gov.cn/news/3.html", "县政府举行乡村教育振兴政策宣讲会", body))
    run_monitor(db)
    with db.sessions() as session:
        links = related_pages(session, session.get(Document, document_id(db, TITLE)))
    assert [(link.via, link.key) for link in links] == [("doc_no", "桓政办字〔2023〕18号")]


def test_a_county_plan_citing_the_city_plan_is_no_page_of_it(store: Store, db: Database) -> None:
    """Plans cite their sources (《淄博市…方案》): that makes them no report of those plans."""
    subscribe(db)
    city = "淄博市推进乡村教育振兴工作方案"
    crawl(store, page("http://www.zibo.gov.cn/doc/1.html", city, SEED.replace("桓台县", "淄博市"), portal="zibo"),
          portal_name="zibo")
    crawl(store, huantai())  # its body cites 《淄博市推进乡村教育振兴工作方案》
    run_monitor(db)
    assert len(plan_alerts(db)) == 2
