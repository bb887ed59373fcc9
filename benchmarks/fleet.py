"""Many copies of one synthetic portal, each on its own loopback address, whose crawl state is
cloned from one real crawl.

The incremental benchmarks need hundreds or thousands of portals that eduwatch has already
crawled. Crawling 100,000 pages to get there would take longer than the whole suite, so one
template portal is crawled for real (``--full``) and its stored state — documents, identity
keys, sources with the list title/date the spider recorded — is copied to every other
portal with that portal's host in the URLs. Every portal then looks to the next incremental
crawl exactly like one eduwatch has crawled before; only then are the new documents added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from sqlalchemy import func, insert, select

from benchmarks.portal_farm import CrawlMeasurement, measured_crawl, timed, write_config
from eduwatch.config import PortalConfig
from localportals import Doc, MultiSiteServer, Site, synthetic_site
from storage.database import Database
from storage.models import Attachment, Document, DocumentKey, Portal, Source
from storage.robots_cache import CachedRobots, load_robots, origin_of, save_robots
from storage.store import Store

FAMILY = "gkmlpt"


def build_sites(count: int, n_docs: int) -> list[Site]:
    """``count`` identical portals (same documents), distinct names; served later on distinct hosts."""
    sites = []
    for n in range(count):
        site = timed(synthetic_site(FAMILY, n_docs, seed=7))
        site.name = f"fleet{n:04d}"
        sites.append(site)
    return sites


def serve(sites: Sequence[Site]) -> MultiSiteServer:
    return MultiSiteServer(sites, workers=16)


def configure(workdir: Path, sites: Sequence[Site], *, delay: float, per_host: int = 1,
              crawl_memory_mb: int | None = None) -> tuple[Path, str]:
    url = f"sqlite:///{workdir / 'eduwatch.db'}"
    return write_config(workdir / "eduwatch.toml", url, sites, delay=delay, concurrency_per_host=per_host,
                        crawl_memory_mb=crawl_memory_mb), url


def crawl_template(config: Path, template: Site, timeout: float) -> CrawlMeasurement:
    """The one real full crawl every other portal's state is copied from."""
    crawl = measured_crawl(config, [template.name], full=True, timeout=timeout)
    if crawl.statuses() != {"ok": 1}:
        raise RuntimeError(f"template crawl failed: {crawl.summaries}")
    return crawl


def _portal_config(site: Site) -> PortalConfig:
    return PortalConfig(**site.portal_config())  # type: ignore[arg-type]


def clone_state(database_url: str, template: Site, others: Sequence[Site]) -> int:
    """Copy the template portal's documents, keys, sources and attachments to ``others``.

    Identity keys get a per-portal suffix: the copies are distinct documents, not reposts. The
    template's cached robots.txt (kept a day per origin) is copied too, as each portal would
    have its own from the crawl before. Returns the number of sources written.
    """
    db = Database(database_url)
    try:
        Store(db).sync_portals([_portal_config(s) for s in [template, *others]])
        with db.transaction() as session:
            portal_ids = dict(session.execute(select(Portal.name, Portal.id)).all())
            template_id = portal_ids[template.name]
            sources = [dict(r._mapping) for r in session.execute(select(Source.__table__).where(
                Source.portal_id == template_id))]
            doc_ids = sorted({s["document_id"] for s in sources})
            documents = [dict(r._mapping) for r in session.execute(select(Document.__table__).where(
                Document.id.in_(doc_ids)))]
            keys = [dict(r._mapping) for r in session.execute(select(DocumentKey.__table__).where(
                DocumentKey.document_id.in_(doc_ids)))]
            attachments = [dict(r._mapping) for r in session.execute(select(Attachment.__table__).where(
                Attachment.document_id.in_(doc_ids)))]
            stride = (session.scalar(select(func.max(Document.id))) or 0) + 1
            source_stride = (session.scalar(select(func.max(Source.id))) or 0) + 1
            attachment_stride = (session.scalar(select(func.max(Attachment.id))) or 0) + 1
            written = 0
            for n, site in enumerate(others, start=1):
                old_root, new_root = template.base_url_root, site.base_url_root
                shift = n * stride
                session.execute(insert(Document.__table__), [{**d, "id": d["id"] + shift} for d in documents])
                session.execute(insert(DocumentKey.__table__), [
                    {**k, "key": f"{k['key']}#{site.name}", "document_id": k["document_id"] + shift} for k in keys])
                session.execute(insert(Source.__table__), [
                    {**s, "id": s["id"] + n * source_stride, "url": s["url"].replace(old_root, new_root, 1),
                     "document_id": s["document_id"] + shift, "portal_id": portal_ids[site.name]}
                    for s in sources])
                if attachments:
                    session.execute(insert(Attachment.__table__), [
                        {**a, "id": a["id"] + n * attachment_stride, "document_id": a["document_id"] + shift,
                         "url": a["url"].replace(old_root, new_root, 1)} for a in attachments])
                written += len(sources)
        robots = load_robots(db, origin_of(template.base_url))
        if robots is not None:
            for site in others:
                save_robots(db, CachedRobots(origin_of(site.base_url), robots.status, robots.body, robots.fetched_at,
                                             robots.etag, robots.last_modified))
        return written
    finally:
        db.dispose()


def add_new_documents(site: Site, count: int, day: dt.date = dt.date(2025, 3, 1)) -> list[Doc]:
    """``count`` documents newer than everything on the portal, as a week of publishing adds."""
    added = []
    for k in range(count):
        doc_id = site.next_id()
        published = day + dt.timedelta(days=k)
        added.append(site.add_doc(Doc(
            id=doc_id, title=f"{site.name}关于做好{published:%Y年%m月}农村义务教育学校建设工作的通知（{k + 1}）",
            body=f"各乡镇人民政府：\n为推进乡村教育振兴，现就{published.year}年农村学校建设通知如下。\n"
                 f"一、加快项目进度。\n二、强化资金保障，县财政安排{k + 3}00万元。\n{site.name}教育局",
            published_date=published, written_date=published, index_no=f"{site.site_id_code}/{published.year}-9{k:04d}",
            doc_no=f"{site.name}教〔{published.year}〕{k + 1}号", publisher=f"{site.name}教育局", category="教育",
        )))
    return added
