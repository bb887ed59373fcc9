"""Full-text search on SQLite and PostgreSQL: Chinese two-character words and phrases, title
ranked over body, attachments searched, the index written with the document and rebuilt."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from eduwatch.config import PortalConfig
from storage.database import Database
from storage.records import AttachmentRecord, DocumentRecord
from storage.runs import Runs
from storage.search import SearchQuery, rebuild_index, search, unindexed_count
from storage.search.tokens import document_terms, query_terms
from storage.store import Store


def record(number: int, title: str, body: str, portal: str = "huilai", **extra) -> DocumentRecord:
    return DocumentRecord(portal=portal, url=f"http://{portal}.gov.cn/p/{number}.html", title=title, body=body,
                          doc_no=f"测府〔2024〕{number}号", **extra)


@pytest.fixture
def store(db: Database) -> Store:
    store = Store(db)
    store.sync_portals([
        PortalConfig(name="huilai", title="惠来县", region="广东省", platform="gkmlpt", base_url="http://huilai.gov.cn"),
        PortalConfig(name="huantai", title="桓台县", region="山东省", platform="gkmlpt", base_url="http://huantai.gov.cn"),
    ])
    run = Runs(db).open("huilai", full=True)
    store.save_documents([
        record(1, "关于推进乡村教育振兴的实施方案", "为加快乡村教育振兴，制定本方案。"),
        record(2, "城区学校建设通知", "本通知涉及教师队伍建设，也提到乡村学校。"),
        record(3, "财政预算公开", "与教育无关的财政内容。",
               attachments=[AttachmentRecord(name="附件.docx", url="http://huilai.gov.cn/a.docx", type="docx",
                                             text="附件写明教师轮岗交流办法")]),
        record(4, "Edu2023 annual report", "English body about rural schools, 第3条规定。"),
    ], run)
    other = Runs(db).open("huantai", full=True)
    store.save_documents([record(5, "桓台县乡村教师支持计划", "乡村教师待遇。", portal="huantai")], other)
    return store


def ids(db: Database, query: str, **options) -> list[int]:
    with db.engine.connect() as connection:
        return [hit.document_id for hit in search(connection, SearchQuery(query, **options)).hits]


def titles(db: Database, query: str) -> set[str]:
    with db.engine.connect() as connection:
        return {hit.title for hit in search(connection, SearchQuery(query)).hits}


def test_terms_are_bigrams_with_each_runs_last_character() -> None:
    assert document_terms("乡村教育，第3条") == ["乡村", "村教", "教育", "育", "第", "3", "条"]
    assert [t.text for t in query_terms("乡村教育")] == ["乡村", "村教", "教育"]
    assert query_terms("乡")[0].prefix


def test_two_character_words_and_phrases(store: Store, db: Database) -> None:
    assert set(ids(db, "乡村")) == {1, 2, 5}
    assert set(ids(db, "教师")) == {2, 3, 5}  # 3 only through its attachment's text
    assert ids(db, "乡村教育振兴") == [1]
    assert ids(db, "教育振兴") == [1]
    assert ids(db, "乡村学校") == [2]
    assert set(ids(db, "乡村 教师")) == {2, 5}  # both phrases, anywhere
    assert ids(db, "第3条") == [4]
    assert ids(db, "edu2023") == [4] and ids(db, "RURAL SCHOOLS") == [4]
    assert ids(db, "振兴乡村") == []  # the characters, but not in this order
    assert ids(db, "，。") == []  # nothing searchable


def test_title_weighs_more_than_body(store: Store, db: Database) -> None:
    found = ids(db, "乡村")
    assert found.index(2) > max(found.index(1), found.index(5))  # 2 has 乡村 only in its body


def test_filters_and_paging(store: Store, db: Database) -> None:
    assert ids(db, "乡村", portal="huantai") == [5]
    with db.engine.connect() as connection:
        page = search(connection, SearchQuery("乡村", limit=2, offset=2))
    assert page.total == 3 and len(page.hits) == 1


def test_snippets_mark_the_match(store: Store, db: Database) -> None:
    with db.engine.connect() as connection:
        hit = search(connection, SearchQuery("教师")).hits[0]
    marked = [hit.snippet[start:end] for start, end in hit.highlights]
    assert marked and all(part == "教师" for part in marked)


def test_index_follows_a_changed_document_and_reindex_rebuilds(store: Store, db: Database) -> None:
    run = Runs(db).open("huilai", full=True)
    store.save_document(record(2, "城区学校建设通知", "现在改为讨论校舍维修。"), run)
    assert set(ids(db, "乡村")) == {1, 5}
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM search_entries"))
        assert unindexed_count(connection) == 5
    assert ids(db, "乡村") == []
    assert rebuild_index(db) == 5
    assert set(ids(db, "乡村")) == {1, 5}
    with db.engine.connect() as connection:
        assert unindexed_count(connection) == 0


def test_fast_normalise_is_nfkc_and_casefold() -> None:
    """The translate-first normalisation gives exactly NFKC + casefold (the index and the
    queries must agree with what the slower, obvious form would give)."""
    import unicodedata

    from storage.search.tokens import normalise

    samples = ["桓政办字〔２０２３〕１８号", "ＡＢＣ　乡村教育：到２０２５年", "Ⅳ ㈠ ﬁ ℃ ①", "惠府办函[2023]260号",
               "ＥＤＵ ｅｄｕ Edu", "\u3000各乡镇人民政府，县直有关单位："]
    for text in samples:
        assert normalise(text) == unicodedata.normalize("NFKC", text).casefold()
