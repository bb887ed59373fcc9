"""The monitor pass, driven by Store.save_document exactly as the crawler drives it (no crawler)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eduwatch.config import PortalConfig
from eduwatch.event_kinds import COMMITMENT_CHANGED
from monitor.changes import revisions
from monitor.changes.events import list_events
from monitor.changes.revisions import diff_revisions, reclassify_all, run_monitor
from monitor.changes.textnorm import clean_text
from storage.database import Database
from storage.models import Alert, CrawlRun, Document, Event, Revision, Source, Subscriber
from storage.records import AttachmentRecord, DocumentRecord
from storage.runs import RunOutcome, Runs
from storage.store import Store

SEED = (Path(__file__).parent.parent / "fixtures" / "seed_000_huantai.txt").read_text(encoding="utf-8")
TITLE = "桓台县人民政府办公室关于印发桓台县推进乡村教育振兴工作方案的通知"
URL = "http://www.huantai.gov.cn/gongkai/site_htxrmzfbgs/doc_6507ff1ce7f79f1832269fe0.html"
NOW = datetime(2026, 11, 22, 8, 0, 0)
EDITED = "到2025年实现结对全覆盖"


def portal(name: str, title: str, region: str) -> PortalConfig:
    return PortalConfig(name=name, title=title, region=region, platform="generic", base_url=f"http://{name}.gov.cn")


def huantai(**changes) -> DocumentRecord:
    fields = dict(
        portal="huantai", url=URL, title=TITLE, title_key="桓台县推进乡村教育振兴工作方案", body=SEED,
        index_no="11370321004305457X/2023-00118", doc_no="桓政办字〔2023〕18号", doc_no_raw="桓政办字〔2023〕18号",
        publisher="桓台县人民政府办公室", written_date=date(2023, 9, 18), published_date=date(2023, 9, 18),
        validity="有效", site="www.huantai.gov.cn",
    )
    fields.update(changes)
    return DocumentRecord(**fields)


@pytest.fixture
def store(db: Database) -> Store:
    store = Store(db)
    store.sync_portals([
        portal("huantai", "桓台县人民政府", "山东省淄博市桓台县"),
        portal("zibo", "淄博市人民政府", "山东省淄博市"),
    ])
    return store


def crawl(store: Store, *records: DocumentRecord, portal_name: str = "huantai") -> int:
    """One crawl run that sees ``records``, finished like the crawler finishes it."""
    run = Runs(store.db).open(portal_name, full=True)
    for record in records:
        store.save_document(record, run)
    Runs(store.db).close(run, RunOutcome(pages_fetched=len(records)))
    return run


def events(db: Database) -> list[Event]:
    """Events of the change pass, without the commitments tracker's (test_commitments_record.py):
    these tests move 到2025年实现结对全覆盖, a commitment, and check the revision's own events."""
    with db.sessions() as session:
        return list(session.scalars(select(Event).where(Event.kind != COMMITMENT_CHANGED).order_by(Event.id)))


def revisions_of(db: Database) -> list[Revision]:
    with db.sessions() as session:
        return list(session.scalars(select(Revision).order_by(Revision.document_id, Revision.number)))


def the_document(db: Database) -> Document:
    with db.sessions() as session:
        return session.scalars(select(Document)).one()


def kinds(report) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {kind: n for kind, n in report.counts.items() if n and kind != COMMITMENT_CHANGED}


def first_seen(store: Store, db: Database) -> int:
    run = crawl(store, huantai())
    report = run_monitor(db, now=NOW)
    assert kinds(report) == {"new": 1}
    return run


# --- new, and nothing when nothing changed ---------------------------------------------------


def test_first_sighting_is_one_new_event_with_revision_and_classification(store: Store, db: Database) -> None:
    run = crawl(store, huantai())
    report = run_monitor(db, now=NOW)
    assert kinds(report) == {"new": 1} and report.revisions == 1 and report.failed == {}
    assert report.runs_monitored == [run]
    (event,) = events(db)
    document = the_document(db)
    assert (event.kind, event.document_id, event.crawl_run_id, event.at) == ("new", document.id, run, NOW)
    assert event.summary == f"新文件：{TITLE}"
    assert event.is_rural_plan is True and document.is_rural_plan is True
    assert document.rural_score > 0 and document.rural_evidence
    assert event.is_revert is False and report.event_ids == [event.id]
    (revision,) = revisions_of(db)
    assert event.revision_id == revision.id and revision.number == 1 and revision.reverts_to is None
    assert revision.body == clean_text(SEED)
    assert revision.meta["doc_no"] == "桓政办字〔2023〕18号" and revision.meta["validity"] == "有效"
    assert document.monitored_hash == document.content_hash
    with db.sessions() as session:
        assert session.scalars(select(Source.announced)).all() == [True]
        assert session.get_one(CrawlRun, run).monitored is True
        assert event.portal_id == session.scalar(select(Source.portal_id))


def test_a_second_pass_and_unchanged_resaves_produce_nothing(store: Store, db: Database) -> None:
    first_seen(store, db)
    assert run_monitor(db, now=NOW).events == 0
    crawl(store, huantai())
    crawl(store, huantai())
    report = run_monitor(db, now=NOW)
    assert (report.events, report.revisions, report.documents) == (0, 0, 0)
    assert len(revisions_of(db)) == 1 and len(events(db)) == 1


def test_noise_changes_the_stored_page_but_makes_no_revision(store: Store, db: Database) -> None:
    first_seen(store, db)
    noisy = (
        "今天是：2026年11月23日 星期一\n浏览次数：318　【字体：大 中 小】\n"
        + SEED.replace("，", ",").replace("2027", "２０２７").replace("\n", "\n\n  ")
        + "\n分享到：微信 微博\n【打印】 【关闭】\n网站标识码：3703210001　ICP备05012345号-1"
    )
    crawl(store, huantai(body=noisy, title=TITLE.replace("2023", "２０２３") + " ", doc_no_raw="桓政办字〔2023〕 18号"))
    document = the_document(db)
    assert document.monitored_hash != document.content_hash, "the store saw a different page"
    report = run_monitor(db, now=NOW)
    assert (report.events, report.revisions) == (0, 0)
    document = the_document(db)
    assert document.monitored_hash == document.content_hash
    crawl(store, huantai(body=noisy.replace("浏览次数：318", "浏览次数：319")))
    assert run_monitor(db, now=NOW).events == 0
    assert len(revisions_of(db)) == 1


# --- content events --------------------------------------------------------------------------


def test_a_changed_sentence_is_revised_with_diff_details(store: Store, db: Database) -> None:
    first_seen(store, db)
    run = crawl(store, huantai(body=SEED.replace(EDITED, "到2026年实现结对全覆盖")))
    report = run_monitor(db, now=NOW)
    assert kinds(report) == {"revised": 1} and report.revisions == 1
    event = events(db)[-1]
    summary = "二、主要任务（六）实施城乡教育协同发展行动：到2025年实现结对全覆盖 → 到2026年实现结对全覆盖"
    assert event.summary == summary
    assert event.crawl_run_id == run and event.is_rural_plan is True and event.is_revert is False
    assert event.details == {
        "summary": summary,
        "html": "持续推进强校扩优行动，指导城区优质学校与乡村学校结对共建，实施捆绑评价制度，科学有效扩大优质教育资源，"
        "到202<del>5</del><ins>6</ins>年实现结对全覆盖。",
        "from_revision": 1,
        "to_revision": 2,
    }
    assert [r.number for r in revisions_of(db)] == [1, 2]
    assert event.revision_id == revisions_of(db)[-1].id


def test_metadata_change_lists_old_and_new_values(store: Store, db: Database) -> None:
    first_seen(store, db)
    crawl(store, huantai(title=TITLE + "（修订）", written_date=date(2023, 9, 20)))
    report = run_monitor(db, now=NOW)
    assert kinds(report) == {"metadata_changed": 1}
    event = events(db)[-1]
    assert event.details == {
        "changes": {"title": [TITLE, TITLE + "（修订）"], "written_date": ["2023-09-18", "2023-09-20"]},
        "from_revision": 1,
        "to_revision": 2,
    }
    assert event.summary == f"标题：{TITLE} → {TITLE}（修订）；成文日期：2023-09-18 → 2023-09-20"


def test_a_gap_filled_by_a_later_sighting_is_recorded_silently(store: Store, db: Database) -> None:
    crawl(store, huantai(doc_no=None, doc_no_raw=None, written_date=None))
    run_monitor(db, now=NOW)
    crawl(store, huantai())
    report = run_monitor(db, now=NOW)
    assert (report.events, report.revisions) == (0, 1)
    assert revisions_of(db)[-1].meta["doc_no"] == "桓政办字〔2023〕18号"


@pytest.mark.parametrize(
    "changes, summary",
    [({"validity": "失效"}, f"已失效：{TITLE}"), ({"validity": "废止"}, f"已废止：{TITLE}"),
     ({"is_abolished": True}, f"已废止：{TITLE}")],
)
def test_abolished_is_its_own_event(store: Store, db: Database, changes: dict, summary: str) -> None:
    first_seen(store, db)
    crawl(store, huantai(**changes))
    report = run_monitor(db, now=NOW)
    assert kinds(report) == {"abolished": 1}, "validity turning to 失效 is not also metadata_changed"
    assert events(db)[-1].summary == summary
    crawl(store, huantai())  # put back in force: a metadata change, not news of abolition
    assert kinds(run_monitor(db, now=NOW)) == {"metadata_changed": 1}
    restored = {name: [value, {"validity": "有效", "is_abolished": False}[name]] for name, value in changes.items()}
    assert events(db)[-1].details["changes"] == restored


def test_attachment_text_change_is_revised_but_a_failed_download_is_not(store: Store, db: Database) -> None:
    attachment = AttachmentRecord(name="附件1.docx", url="http://www.huantai.gov.cn/a/1.docx", type="docx",
                                  text="乡村学校名单\n共12所学校。")
    crawl(store, huantai(attachments=[attachment]))
    run_monitor(db, now=NOW)
    failed = replace(attachment, text=None, error="HTTP 503")
    crawl(store, huantai(attachments=[failed]))
    assert (run_monitor(db, now=NOW).events, len(revisions_of(db))) == (0, 1)
    crawl(store, huantai(attachments=[replace(attachment, text="乡村学校名单\n共15所学校。")]))
    report = run_monitor(db, now=NOW)
    assert kinds(report) == {"revised": 1}
    assert events(db)[-1].summary == "附件1.docx：共12所学校 → 共15所学校"
    assert revisions_of(db)[-1].attachments_text == "【附件：附件1.docx】\n乡村学校名单\n共15所学校。"


def test_flip_back_to_an_earlier_revision_is_marked_as_revert(store: Store, db: Database) -> None:
    first_seen(store, db)
    crawl(store, huantai(body=SEED.replace(EDITED, "到2026年实现结对全覆盖")))
    run_monitor(db, now=NOW)
    crawl(store, huantai())
    report = run_monitor(db, now=NOW)
    assert kinds(report) == {"revised": 1}
    event = events(db)[-1]
    assert event.is_revert is True
    assert event.summary.startswith("恢复为第1版：二、主要任务（六）实施城乡教育协同发展行动：到2026年")
    assert [(r.number, r.reverts_to) for r in revisions_of(db)] == [(1, None), (2, None), (3, 1)]
    # A genuinely new third version is not a revert.
    crawl(store, huantai(body=SEED.replace(EDITED, "到2027年实现结对全覆盖")))
    run_monitor(db, now=NOW)
    assert events(db)[-1].is_revert is False and revisions_of(db)[-1].reverts_to is None


# --- sources: reposted, withdrawn --------------------------------------------------------------


def test_repost_on_another_portal_is_reposted_and_a_second_url_on_the_same_portal_is_silent(
    store: Store, db: Database
) -> None:
    first_seen(store, db)
    same_portal = huantai(url=URL.replace("doc_", "doc_copy_"), body="转载")
    crawl(store, same_portal)
    assert run_monitor(db, now=NOW).events == 0
    city_url = "http://www.zibo.gov.cn/gongkai/doc_1.html"
    run = crawl(store, huantai(portal="zibo", url=city_url, index_no="113703000043/2023-01", site="www.zibo.gov.cn",
                              body="转载正文"), portal_name="zibo")
    report = run_monitor(db, now=NOW)
    assert kinds(report) == {"reposted": 1}
    event = events(db)[-1]
    assert event.summary == f"转载：{TITLE}（淄博市人民政府）"
    assert event.crawl_run_id == run and event.details == {"url": city_url}
    with db.sessions() as session:
        assert event.portal_id == session.scalar(select(Source.portal_id).where(Source.url == city_url))
        assert session.scalars(select(Source.announced)).all() == [True, True, True]
    assert run_monitor(db, now=NOW).events == 0


def test_withdrawn_after_two_missing_crawls(store: Store, db: Database) -> None:
    first_seen(store, db)
    probe1 = Runs(store.db).open("huantai", full=False)
    store.record_probe(probe1, URL, 404)
    assert run_monitor(db, now=NOW).events == 0, "one 404 is not yet a withdrawal"
    probe2 = Runs(store.db).open("huantai", full=False)
    store.record_probe(probe2, URL, 404)
    report = run_monitor(db, now=NOW)
    assert kinds(report) == {"withdrawn": 1}
    event = events(db)[-1]
    assert event.summary == f"已撤回：{TITLE}（桓台县人民政府）"
    assert event.crawl_run_id == probe2, "the run that confirmed it, for digests"
    with db.sessions() as session:
        assert session.scalar(select(Source.withdrawn)) is True
    store.record_probe(Runs(store.db).open("huantai", full=False), URL, 404)
    assert run_monitor(db, now=NOW).events == 0, "withdrawn once"
    # The page comes back (a maintenance outage): watched again, silently; a new removal counts again.
    crawl(store, huantai())
    assert run_monitor(db, now=NOW).events == 0
    with db.sessions() as session:
        assert session.scalar(select(Source.withdrawn)) is False
    for _ in range(2):
        store.record_probe(Runs(store.db).open("huantai", full=False), URL, 404)
    assert kinds(run_monitor(db, now=NOW)) == {"withdrawn": 1}


def test_new_and_repost_seen_before_the_first_pass(store: Store, db: Database) -> None:
    crawl(store, huantai())
    crawl(store, huantai(portal="zibo", url="http://www.zibo.gov.cn/doc/9.html", site="www.zibo.gov.cn"),
          portal_name="zibo")
    report = run_monitor(db, now=NOW)
    assert [e.kind for e in events(db)] == ["new", "reposted"] and report.revisions == 1


# --- one transaction per document --------------------------------------------------------------


def test_revision_events_and_alerts_commit_together_or_not_at_all(
    store: Store, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.transaction() as session:
        session.add(Subscriber(name="教育局", email="jyj@example.org", events=["new_plan", "plan_revised"]))
    first_seen(store, db)
    with db.sessions() as session:
        assert session.scalar(select(func.count(Alert.id))) == 1, "the outbox row is written with the event"
    crawl(store, huantai(body=SEED.replace(EDITED, "到2026年实现结对全覆盖")))
    before = the_document(db).monitored_hash

    def outbox_down(session, event):  # type: ignore[no-untyped-def]
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(revisions, "enqueue_alerts", outbox_down)
    report = run_monitor(db, now=NOW)
    document = the_document(db)
    assert report.failed == {document.id: "RuntimeError: outbox unavailable"} and report.events == 0
    assert len(revisions_of(db)) == 1 and len(events(db)) == 1
    assert document.monitored_hash == before != document.content_hash
    monkeypatch.undo()
    report = run_monitor(db, now=NOW)
    assert kinds(report) == {"revised": 1} and report.failed == {}
    assert len(revisions_of(db)) == 2
    with db.sessions() as session:
        assert session.scalar(select(func.count(Alert.id))) == 2


def test_failed_document_does_not_stop_the_others_and_keeps_runs_unmonitored(
    store: Store, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = crawl(store, huantai(), huantai(url="http://www.huantai.gov.cn/doc/2.html", doc_no="桓政办字〔2023〕19号",
                                          index_no="x/2", title="另一份通知", title_key="另一份通知"))
    real = revisions.enqueue_alerts

    def fail_first(session, event):  # type: ignore[no-untyped-def]
        if event.document_id == 1:
            raise RuntimeError("boom")
        real(session, event)

    monkeypatch.setattr(revisions, "enqueue_alerts", fail_first)
    report = run_monitor(db, now=NOW)
    assert list(report.failed) == [1] and kinds(report) == {"new": 1} and report.runs_monitored == []
    with db.sessions() as session:
        assert session.get_one(CrawlRun, run).monitored is False


# --- reading back -------------------------------------------------------------------------------


def test_diff_revisions_and_list_events(store: Store, db: Database) -> None:
    first_seen(store, db)
    crawl(store, huantai(body=SEED.replace(EDITED, "到2026年实现结对全覆盖")))
    run_monitor(db, now=NOW)
    result = diff_revisions(db, 1)
    assert (result.from_revision, result.to_revision) == (1, 2)
    assert "到202【-5】【+6】年" in result.diff.text()
    assert diff_revisions(db, 1, 2, 1).diff.summary().endswith("到2026年实现结对全覆盖 → 到2025年实现结对全覆盖")
    with pytest.raises(LookupError, match="no revision 7"):
        diff_revisions(db, 1, 1, 7)
    with pytest.raises(LookupError, match="no document"):
        diff_revisions(db, 99)
    assert [e.kind for e in list_events(db) if e.kind != COMMITMENT_CHANGED] == ["new", "revised"]
    assert [e.kind for e in list_events(db, kind="revised")] == ["revised"]
    assert list_events(db, since=datetime(2030, 1, 1)) == []


def test_reclassify_counts_flipped_verdicts(store: Store, db: Database) -> None:
    first_seen(store, db)
    with db.transaction() as session:
        session.scalars(select(Document)).one().is_rural_plan = False
    report = reclassify_all(db)
    assert report.documents == 1 and report.changed == [1]
    assert the_document(db).is_rural_plan is True
    assert reclassify_all(db).changed == []


def test_two_concurrent_passes_report_each_change_once(store: Store, db: Database) -> None:
    """The daemon and a CLI command may run a pass at the same moment: no event twice."""
    import threading

    records = [
        huantai(url=f"http://www.huantai.gov.cn/doc/{n}.html", doc_no=f"桓政办字〔2023〕{n}号", index_no=f"x/{n}",
                title=f"{TITLE}（{n}）", title_key=f"key{n}", body=SEED.replace("2025", str(2030 + n)))
        for n in range(8)
    ]
    crawl(store, *records)
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(run_monitor(db, now=NOW))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.counts["new"] for r in reports) == 8 and all(r.failed == {} for r in reports)
    assert [e.kind for e in events(db)] == ["new"] * 8
    assert len(revisions_of(db)) == 8


def test_a_change_belongs_to_the_documents_own_source_not_the_last_crawled_repost(store: Store, db: Database) -> None:
    first_seen(store, db)
    repost = huantai(portal="zibo", url="http://www.zibo.gov.cn/doc/9.html", site="www.zibo.gov.cn")
    crawl(store, repost, portal_name="zibo")
    run_monitor(db, now=NOW)
    own_run = crawl(store, huantai(body=SEED.replace(EDITED, "到2026年实现结对全覆盖")))
    crawl(store, repost, portal_name="zibo")  # seen after the change, on the other portal
    run_monitor(db, now=NOW)
    event = events(db)[-1]
    with db.sessions() as session:
        own_portal = session.scalar(select(Source.portal_id).where(Source.url == URL))
    assert (event.kind, event.portal_id, event.crawl_run_id) == ("revised", own_portal, own_run)


def test_an_added_attachment_is_revised_and_an_emptied_body_is_not(store: Store, db: Database) -> None:
    first_seen(store, db)
    attachment = AttachmentRecord(name="任务分工表.docx", url="http://www.huantai.gov.cn/a/2.docx", type="docx",
                                  text="一、目标任务\n到2027年完成。")
    crawl(store, huantai(attachments=[attachment]))
    assert kinds(run_monitor(db, now=NOW)) == {"revised": 1}
    assert events(db)[-1].summary == "新增“【附件：任务分工表.docx】 一、目标任务 到2027年…”"
    crawl(store, huantai(body="", attachments=[attachment]))  # the extractor lost the body
    report = run_monitor(db, now=NOW)
    assert (report.events, report.revisions) == (0, 1)
    crawl(store, huantai(attachments=[attachment]))  # and found it again
    report = run_monitor(db, now=NOW)
    assert (report.events, report.revisions) == (0, 1)


def test_new_goes_to_the_issuers_portal_when_a_repost_was_crawled_first(store: Store, db: Database) -> None:
    """Seen in one pass, the city repost (crawled first) is the `reposted` one, not the `new` one."""
    crawl(store, huantai(portal="zibo", url="http://www.zibo.gov.cn/art/1.html", site="www.zibo.gov.cn",
                         publisher="淄博市人民政府办公室", index_no="113703000043/2023-00999"), portal_name="zibo")
    crawl(store, huantai())
    run_monitor(db, now=NOW)
    with db.sessions() as session:
        rows = [(e.kind, e.portal.name) for e in session.scalars(select(Event).order_by(Event.id))]
    assert rows == [("new", "huantai"), ("reposted", "zibo")]
