"""The store: identity, reposts, sources, runs and transactional writes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from eduwatch.config import PortalConfig
from storage.database import Database
from storage.identity import identity_keys
from storage.models import Attachment, CrawlRun, Document, DocumentKey, Source
from storage.records import AttachmentRecord, DocumentRecord, FetchError, ListEntry
from storage.runs import RunOutcome, Runs
from storage.store import Store

HUILAI_TITLE = "惠来县人民政府办公室关于印发惠来县“百县千镇万村高质量发展工程”教育行动方案(2023-2027年)的通知"


def portal(name: str, region: str = "广东省揭阳市惠来县") -> PortalConfig:
    return PortalConfig(name=name, title=name, region=region, platform="gkmlpt", base_url=f"http://{name}.gov.cn")


def huilai(url: str = "http://www.huilai.gov.cn/gkmlpt/content/1/1000/post_1000001.html", **changes) -> DocumentRecord:
    fields = dict(
        portal="huilai",
        url=url,
        title=HUILAI_TITLE,
        title_key="惠来县人民政府办公室关于印发惠来县百县千镇万村高质量发展工程教育行动方案20232027年的通知",
        body="各镇人民政府(场),县府直属各单位:\n《惠来县“百县千镇万村高质量发展工程”教育行动方案》已经县人民政府同意",
        index_no="114452240070359782/2023-00093",
        index_no_raw="114452240070359782/2023-00093",
        doc_no="惠府办函〔2023〕260号",
        doc_no_raw="惠府办函〔2023〕260号",
        publisher="惠来县人民政府办公室",
        written_date=date(2023, 10, 12),
        published_date=date(2023, 11, 10),
        site="www.huilai.gov.cn",
        attachments=[AttachmentRecord(name="方案.docx", url="http://www.huilai.gov.cn/attachment/1.docx", type="docx", text="附件正文")],
    )
    fields.update(changes)
    return DocumentRecord(**fields)


@pytest.fixture
def store(db: Database) -> Store:
    store = Store(db)
    store.sync_portals([portal("huilai"), portal("jieyang", "广东省揭阳市"), portal("copysite", "其他")])
    return store


def count(db: Database, model) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_first_sighting_is_new_and_second_is_unchanged(store: Store, db: Database) -> None:
    run = Runs(store.db).open("huilai", full=True)
    first = store.save_document(huilai(), run)
    second = store.save_document(huilai(), run)
    assert (first.outcome, second.outcome) == ("new", "unchanged")
    assert first.document_id == second.document_id
    summary = Runs(store.db).close(run, RunOutcome(pages_fetched=3))
    assert (summary.docs_new, summary.docs_updated, summary.pages_fetched) == (1, 0, 3)
    with db.sessions() as session:
        document = session.scalars(select(Document)).one()
        assert document.doc_no == "惠府办函〔2023〕260号"
        assert document.written_date == date(2023, 10, 12)
        assert [a.text for a in document.attachments] == ["附件正文"]
        kinds = sorted(session.scalars(select(DocumentKey.kind)))
        assert kinds == ["doc_no", "fingerprint", "index_no"]


def test_changed_body_counts_as_updated(store: Store) -> None:
    run = Runs(store.db).open("huilai", full=False)
    store.save_document(huilai(), run)
    result = store.save_document(huilai(body="各镇人民政府:\n方案已修订"), run)
    assert result.outcome == "updated"
    assert Runs(store.db).close(run, RunOutcome(pages_fetched=1)).docs_updated == 1


def test_repost_on_another_portal_is_one_document_with_two_sources(store: Store, db: Database) -> None:
    store.save_document(huilai(), Runs(store.db).open("huilai", full=False))
    # The city site reposts it under its own URL and 索引号; the crawler has normalised the messy 文号.
    repost = huilai(
        portal="jieyang",
        url="http://www.jieyang.gov.cn/gkmlpt/content/2/2001/post_2001234.html",
        index_no="11445200007035978X/2023-01234",
        doc_no_raw="惠府办函[2023]260号",
        site="www.jieyang.gov.cn",
        body="转载",
    )
    result = store.save_document(repost, Runs(store.db).open("jieyang", full=False))
    assert result.outcome == "new_source"
    assert count(db, Document) == 1
    assert count(db, Source) == 2
    with db.sessions() as session:
        document = session.scalars(select(Document)).one()
        assert document.body.startswith("各镇人民政府"), "a repost must not overwrite the original body"


def test_copy_site_without_metadata_fills_nothing_it_should_not(store: Store, db: Database) -> None:
    """A copy without 文号 or 索引号 matches by fingerprint only when title, publisher and date agree."""
    store.save_document(huilai(), Runs(store.db).open("huilai", full=False))
    copy = huilai(
        portal="copysite", url="http://copy.example.com/p/1.html", doc_no=None, doc_no_raw=None,
        index_no=None, index_no_raw=None, site="copy.example.com",
    )
    assert store.save_document(copy, Runs(store.db).open("copysite", full=False)).outcome == "new_source"
    unrelated = huilai(
        portal="copysite", url="http://copy.example.com/p/2.html", doc_no=None, doc_no_raw=None,
        index_no=None, index_no_raw=None, title="另一份通知", title_key="另一份通知", site="copy.example.com",
    )
    assert store.save_document(unrelated, Runs(store.db).open("copysite", full=False)).outcome == "new"
    assert count(db, Document) == 2


def test_generic_doc_no_needs_the_publisher(store: Store, db: Database) -> None:
    run = Runs(store.db).open("huilai", full=False)
    one = huilai(url="http://a.gov.cn/1", doc_no="公告2026年第5号", index_no=None, publisher="甲县教育局", title_key="a")
    two = huilai(url="http://b.gov.cn/2", doc_no="公告2026年第5号", index_no=None, publisher="乙县教育局", title_key="b")
    store.save_document(one, run)
    assert store.save_document(two, run).outcome == "new"
    assert count(db, Document) == 2


def test_same_index_no_on_two_sites_is_two_documents(store: Store, db: Database) -> None:
    run = Runs(store.db).open("huilai", full=False)
    store.save_document(huilai(url="http://a.gov.cn/1", doc_no=None, site="a.gov.cn", title_key="x"), run)
    store.save_document(huilai(url="http://b.gov.cn/1", doc_no=None, site="b.gov.cn", title_key="y"), run)
    assert count(db, Document) == 2


def test_known_sources_listing_and_probes(store: Store, db: Database) -> None:
    run = Runs(store.db).open("huilai", full=False)
    record = huilai(list_title="列表标题", list_date="2023-11-10", etag='"abc"')
    store.save_document(record, run)
    known = store.known_sources("huilai")
    assert known[record.url].list_date == "2023-11-10" and known[record.url].etag == '"abc"'
    assert store.known_sources("jieyang") == {}
    run2 = Runs(store.db).open("huilai", full=False)
    store.record_probe(run2, record.url, 404)
    store.record_probe(run2, record.url, 404)
    assert store.known_sources("huilai")[record.url].missing_count == 2
    store.mark_listed(run2, "huilai", [ListEntry(url=record.url)])
    assert store.known_sources("huilai")[record.url].missing_count == 0


def test_mark_listed_updates_every_listed_source_in_chunks(store: Store, db: Database) -> None:
    run = Runs(store.db).open("huilai", full=False)
    urls = [f"http://www.huilai.gov.cn/gkmlpt/content/{n}.html" for n in range(501)]  # two chunks of 500
    store.save_documents([huilai(url=url, index_no=None, doc_no=None, title_key=f"t{n}") for n, url in enumerate(urls)], run)
    for url in (urls[0], urls[-1]):
        store.record_probe(run, url, 404)
    with db.sessions() as session:
        before = {s.url: s.last_seen for s in session.scalars(select(Source))}
    run2 = Runs(store.db).open("huilai", full=False)
    store.mark_listed(run2, "huilai", [ListEntry(url=url) for url in urls[:-1]] + [ListEntry(url="http://unknown/x")])
    store.mark_listed(run2, "huilai", [ListEntry(url=urls[-1])])
    store.mark_listed(run2, "huilai", [])
    with db.sessions() as session:
        sources = {s.url: s for s in session.scalars(select(Source))}
    assert set(sources) == set(urls)  # an unknown URL is not created
    assert {s.last_listed_run_id for s in sources.values()} == {run2}
    assert all(s.missing_count == 0 for s in sources.values())
    assert all(s.last_seen >= before[url] for url, s in sources.items())
    assert sources[urls[0]].last_seen > before[urls[0]]


def test_save_documents_each_reports_a_refused_record_and_saves_the_rest_once(store: Store, db: Database) -> None:
    run = Runs(store.db).open("huilai", full=False)
    good = [huilai(url=f"http://www.huilai.gov.cn/{n}.html", index_no=None, doc_no=None, title_key=f"k{n}") for n in range(3)]
    broken = huilai(url="http://www.huilai.gov.cn/bad.html", index_no=None, doc_no=None, title_key="bad",
                    attachments=[AttachmentRecord(name=None, url="u", type="pdf")])  # type: ignore[arg-type]
    results = store.save_documents_each([good[0], broken, good[1], good[2]], run)
    assert [getattr(r, "outcome", None) for r in results] == ["new", None, "new", "new"]
    assert isinstance(results[1], Exception)
    assert count(db, Source) == 3
    assert [r.outcome for r in store.save_documents_each(good, run)] == ["unchanged"] * 3  # one transaction


def test_attachments_follow_the_primary_source(store: Store, db: Database) -> None:
    run = Runs(store.db).open("huilai", full=False)
    store.save_document(huilai(), run)
    replaced = [AttachmentRecord(name="新方案.pdf", url="http://www.huilai.gov.cn/attachment/2.pdf", type="pdf")]
    assert store.save_document(huilai(attachments=replaced), run).outcome == "updated"
    with db.sessions() as session:
        assert [a.name for a in session.scalars(select(Attachment))] == ["新方案.pdf"]


def test_failed_write_leaves_nothing_half_written(store: Store, db: Database) -> None:
    run = Runs(store.db).open("huilai", full=False)
    broken = huilai(attachments=[AttachmentRecord(name=None, url="u", type="pdf")])  # type: ignore[arg-type]
    with pytest.raises(Exception):
        store.save_document(broken, run)
    assert count(db, Document) == 0 and count(db, Source) == 0 and count(db, DocumentKey) == 0
    assert store.save_document(huilai(), run).outcome == "new"


def test_closing_a_run_records_errors_and_status(store: Store, db: Database) -> None:
    run = Runs(store.db).open("huilai", full=False)
    summary = Runs(store.db).close(run, RunOutcome(
        pages_fetched=1, errors=[FetchError("http://www.huilai.gov.cn/gkmlpt/index", "HTTP 412")],
        blocked="瑞数 challenge (HTTP 412)", blocked_url="http://www.huilai.gov.cn/gkmlpt/index",
    ))
    assert summary.status == "blocked" and summary.errors == 1
    with db.sessions() as session:
        row = session.get_one(CrawlRun, run)
        assert row.error_log == [{"url": "http://www.huilai.gov.cn/gkmlpt/index", "reason": "HTTP 412"}]
        assert row.finished_at is not None


def test_the_issuers_own_portal_speaks_for_the_document(db: Database) -> None:
    """A city site that reposted first is displaced by the county's own page once it is crawled."""
    store = Store(db)
    store.sync_portals([
        PortalConfig(name="jieyang", title="揭阳市人民政府", region="广东省揭阳市", platform="gkmlpt", base_url="http://j.gov.cn"),
        PortalConfig(name="huilai", title="惠来县人民政府", region="广东省揭阳市惠来县", platform="gkmlpt", base_url="http://h.gov.cn"),
    ])
    repost = huilai(portal="jieyang", url="http://www.jieyang.gov.cn/p/1.html", site="www.jieyang.gov.cn",
                    index_no="11445200/2023-09999", published_date=date(2023, 11, 14), body="转载正文")
    store.save_document(repost, Runs(store.db).open("jieyang", full=False))
    store.save_document(huilai(), Runs(store.db).open("huilai", full=False))
    store.save_document(repost, Runs(store.db).open("jieyang", full=False))  # the repost again: fills gaps only
    with db.sessions() as session:
        document = session.scalars(select(Document)).one()
        assert document.published_date == date(2023, 11, 10)
        assert document.body.startswith("各镇人民政府")
        assert document.index_no == "114452240070359782/2023-00093"


def test_a_repost_with_its_own_publisher_does_not_take_turns(db: Database) -> None:
    store = Store(db)
    store.sync_portals([
        PortalConfig(name="jieyang", title="揭阳市教育局", region="广东省揭阳市", platform="gkmlpt", base_url="http://j.gov.cn"),
        PortalConfig(name="huilai", title="惠来县人民政府", region="广东省揭阳市惠来县", platform="gkmlpt", base_url="http://h.gov.cn"),
    ])
    repost = huilai(portal="jieyang", url="http://www.jieyang.gov.cn/p/1.html", publisher="揭阳市教育局", body="转载正文")
    for _ in range(2):
        store.save_document(huilai(), Runs(store.db).open("huilai", full=False))
        assert store.save_document(repost, Runs(store.db).open("jieyang", full=False)).outcome in ("new_source", "unchanged")
    with db.sessions() as session:
        document = session.scalars(select(Document)).one()
        assert document.publisher == "惠来县人民政府办公室" and document.body.startswith("各镇人民政府")


def test_concurrent_writers_share_one_runs_counters(store: Store, db: Database) -> None:
    """Distributed workers save into one run at once; no increment may be lost."""
    from concurrent.futures import ThreadPoolExecutor

    run = Runs(store.db).open("huilai", full=False)

    def save(worker: int) -> None:
        for n in range(15):
            store.save_document(
                huilai(url=f"http://www.huilai.gov.cn/p/{worker}-{n}.html", doc_no=None, index_no=None,
                       title=f"通知{worker}-{n}", title_key=f"通知{worker}-{n}"),
                run,
            )

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(save, range(3)))
    assert Runs(store.db).close(run, RunOutcome(pages_fetched=0)).docs_new == 45


def test_a_batch_dedupes_within_itself_like_one_by_one(store: Store, db: Database) -> None:
    """Reposts and repeated URLs inside one batch resolve exactly as separate saves would."""
    run = Runs(store.db).open("huilai", full=False)
    repost = huilai(portal="jieyang", url="http://www.jieyang.gov.cn/p/1.html", index_no="x/2023-1", site="www.jieyang.gov.cn")
    other = huilai(url="http://www.huilai.gov.cn/p/2.html", doc_no=None, index_no=None, title="另一份通知", title_key="另一份通知")
    results = store.save_documents([huilai(), repost, huilai(), other], run)
    assert [r.outcome for r in results] == ["new", "new_source", "unchanged", "new"]
    assert results[0].document_id == results[1].document_id == results[2].document_id != results[3].document_id
    assert (count(db, Document), count(db, Source)) == (2, 3)
    summary = Runs(store.db).close(run, RunOutcome(pages_fetched=0))
    assert (summary.docs_new, summary.docs_updated) == (2, 0)
    # The same records again, one batch later: nothing new.
    assert [r.outcome for r in store.save_documents([huilai(), repost, other], run)] == ["unchanged"] * 3


def test_a_failing_batch_keeps_each_document_whole(store: Store, db: Database) -> None:
    """A refused record costs only itself: the batch is redone one by one, each all-or-nothing."""
    run = Runs(store.db).open("huilai", full=False)
    broken = huilai(url="http://www.huilai.gov.cn/p/9.html", title_key="坏", doc_no=None, index_no=None,
                    attachments=[AttachmentRecord(name=None, url="u", type="pdf")])  # type: ignore[arg-type]
    with pytest.raises(Exception):
        store.save_documents([huilai(), broken], run)
    assert count(db, Document) == 1 and count(db, Source) == 1 and count(db, DocumentKey) == 3


def test_a_batch_gives_each_new_document_its_own_rows(store: Store, db: Database) -> None:
    """Ids come back from one INSERT for the whole batch; every key, source and attachment must
    still land on the document of the sighting that brought it."""
    run = Runs(store.db).open("huilai", full=True)
    records = [
        huilai(url=f"http://www.huilai.gov.cn/p/{n}.html", title=f"通知{n}", title_key=f"通知{n}", doc_no=f"惠府办函〔2023〕{n}号",
               index_no=f"11/2023-{n:05d}", body=f"正文{n}",
               attachments=[AttachmentRecord(name=f"附件{n}.docx", url=f"http://www.huilai.gov.cn/a/{n}.docx", type="docx")])
        for n in range(30)
    ]
    results = store.save_documents(records, run)
    assert [r.outcome for r in results] == ["new"] * 30
    with db.sessions() as session:
        for record, result in zip(records, results):
            document = session.get_one(Document, result.document_id)
            assert (document.title, document.body) == (record.title, record.body)
            assert [s.url for s in document.sources] == [record.url]
            assert [a.name for a in document.attachments] == [record.attachments[0].name]
            assert {k.key for k in document.keys} == {key for _kind, key in identity_keys(record)}


def test_a_repost_seen_twice_in_one_batch_only_fills_gaps(store: Store, db: Database) -> None:
    """The repost's own source, added earlier in the batch, must not outrank the stored original."""
    store.save_document(huilai(), Runs(store.db).open("huilai", full=False))
    repost = huilai(portal="jieyang", url="http://www.jieyang.gov.cn/p/1.html", site="www.jieyang.gov.cn",
                    index_no="11445200/2023-09999", body="转载正文", publisher="揭阳市")
    results = store.save_documents([repost, repost], Runs(store.db).open("jieyang", full=False))
    assert [r.outcome for r in results] == ["new_source", "unchanged"]
    with db.sessions() as session:
        document = session.scalars(select(Document)).one()
        assert document.body.startswith("各镇人民政府") and document.publisher == "惠来县人民政府办公室"


def test_a_changed_attachment_text_is_an_update_in_place(store: Store, db: Database) -> None:
    run = Runs(store.db).open("huilai", full=False)
    store.save_document(huilai(), run)
    with db.sessions() as session:
        (before,) = session.scalars(select(Attachment)).all()
    retexted = [AttachmentRecord(name="方案.docx", url="http://www.huilai.gov.cn/attachment/1.docx", type="docx", text="新正文")]
    assert store.save_document(huilai(attachments=retexted), run).outcome == "updated"
    assert store.save_document(huilai(attachments=retexted), run).outcome == "unchanged"
    with db.sessions() as session:
        (after,) = session.scalars(select(Attachment)).all()
    assert (after.id, after.text) == (before.id, "新正文")


def test_a_document_another_writer_saved_first_is_found_on_the_retry(store: Store, db: Database) -> None:
    """Two crawl workers meet the same notice: the one that loses the race on its identity keys
    redoes its sighting against the winner's document instead of failing or duplicating it."""
    from sqlalchemy import event

    other = Store(Database(db.url, create=False))
    raced: list[bool] = []

    def save_it_first(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO documents") and not raced:
            raced.append(True)  # between this writer's lookups and its inserts
            other.save_document(huilai(portal="jieyang", url="http://www.jieyang.gov.cn/p/1.html"),
                                Runs(other.db).open("jieyang", full=False))

    event.listen(db.engine, "before_cursor_execute", save_it_first)
    try:
        result = store.save_document(huilai(), Runs(store.db).open("huilai", full=False))
    finally:
        event.remove(db.engine, "before_cursor_execute", save_it_first)
        other.db.dispose()
    assert raced and result.outcome == "new_source"
    assert (count(db, Document), count(db, Source)) == (1, 2)
