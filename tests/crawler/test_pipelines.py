"""StorePipeline: records are saved in batches, a refused record costs only itself."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date

import scrapy
from sqlalchemy import func, select
from scrapy.utils.test import get_crawler

from crawler.pipelines import StorePipeline
from eduwatch.config import PortalConfig
from storage.database import Database
from storage.models import Source
from storage.records import AttachmentRecord, DocumentRecord, FetchError
from storage.runs import Runs
from storage.store import Store


class _Spider(scrapy.Spider):
    """A real Scrapy spider carrying what PortalSpider gives the pipeline."""

    name = "pipeline-test"


def record(n: int, **changes) -> DocumentRecord:
    fields = dict(
        portal="huilai",
        url=f"http://www.huilai.gov.cn/gkmlpt/content/{n}.html",
        title=f"关于第{n}号事项的通知",
        title_key=f"关于第{n}号事项的通知",
        body=f"正文 {n}",
        index_no=None,
        doc_no=None,
        publisher="惠来县教育局",
        published_date=date(2024, 1, 1 + n % 28),
        site="www.huilai.gov.cn",
    )
    fields.update(changes)
    return DocumentRecord(**fields)


def pipeline_for(db: Database, **settings) -> tuple[StorePipeline, _Spider]:
    store = Store(db)
    store.sync_portals([PortalConfig(name="huilai", title="惠来", region="广东省揭阳市惠来县", platform="gkmlpt", base_url="http://www.huilai.gov.cn")])
    crawler = get_crawler(_Spider, settings_dict=settings)
    spider = _Spider()
    spider.store, spider.run_id = store, Runs(store.db).open("huilai", full=False)
    spider.errors, spider.saved = [], Counter()
    crawler.spider = spider
    return StorePipeline.from_crawler(crawler), spider


def stored(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Source))


def test_records_wait_for_a_full_batch_then_go_together(sqlite_db: Database) -> None:
    pipeline, spider = pipeline_for(sqlite_db, STORE_BATCH_SIZE=5, STORE_BATCH_SECONDS=60)
    for n in range(4):
        assert pipeline.process_item(record(n)).url.endswith(f"/{n}.html")  # items pass on unchanged
    assert stored(sqlite_db) == 0 and spider.saved == Counter()
    pipeline.process_item(record(4))
    assert stored(sqlite_db) == 5 and spider.saved == Counter(new=5)
    pipeline.process_item(record(5))
    pipeline.process_item(record(0))  # the same page again: unchanged
    pipeline.close_spider()  # closing flushes what is left
    assert stored(sqlite_db) == 6 and spider.saved == Counter(new=6, unchanged=1)


def test_an_old_buffer_is_flushed_without_waiting_for_a_full_batch(sqlite_db: Database) -> None:
    pipeline, spider = pipeline_for(sqlite_db, STORE_BATCH_SIZE=50, STORE_BATCH_SECONDS=0.2)
    pipeline.process_item(record(1))
    pipeline.flush_stale()
    assert stored(sqlite_db) == 0  # not old enough yet
    time.sleep(0.25)
    pipeline.flush_stale()  # what the timer calls on a slow crawl
    assert stored(sqlite_db) == 1 and spider.saved == Counter(new=1)
    pipeline.process_item(record(2))
    time.sleep(0.25)
    pipeline.process_item(record(3))  # the next item notices the oldest has waited too long
    assert stored(sqlite_db) == 3


def test_a_refused_record_costs_only_itself(sqlite_db: Database) -> None:
    pipeline, spider = pipeline_for(sqlite_db, STORE_BATCH_SIZE=3, STORE_BATCH_SECONDS=60)
    broken = record(2, attachments=[AttachmentRecord(name=None, url="u", type="pdf")])  # type: ignore[arg-type]
    for item in (record(1), broken, record(3)):
        pipeline.process_item(item)
    assert stored(sqlite_db) == 2 and spider.saved == Counter(new=2)
    assert [e.url for e in spider.errors] == [broken.url]
    assert isinstance(spider.errors[0], FetchError) and "store refused the document" in spider.errors[0].reason
