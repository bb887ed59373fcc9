"""One crawl of the local sample portals of all five families, then what it found and stored.

The original publishers are crawled first and the reposting portals second, so which source
a merged document calls its own is fixed. Every field of the seed-based documents is checked
as the spiders extracted it (``--items-dir``) and as the store kept it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from localportals import PortalServer, samples
from storage.database import Database
from storage.models import Attachment, CrawlRun, Document, Source
from tests.crawler.crawl_support import by_path, crawl_with_items, requests_of, write_config

ORIGINALS = ["huilai", "longchuan_jyj", "qingdao_jyj", "govcn", "huantai"]
REPOSTS = ["jieyang_jyj", "huantai_jyt", "huantai_jyt_gbk"]


def _lines(text: str) -> list[str]:
    """Body lines with whitespace runs collapsed (NBSP and doubled spaces are not content)."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


class Crawl:
    """The served sites, the crawl's summaries and extracted records, and the database."""

    def __init__(self, servers: dict[str, PortalServer], summaries: list, items: dict[str, list[dict[str, Any]]],
                 db: Database) -> None:
        self.servers, self.summaries, self.items, self.db = servers, summaries, items, db

    def item(self, portal: str, doc_id: int) -> dict[str, Any]:
        path = self.servers[portal].site.detail_path(doc_id)
        return by_path(self.items[portal])[path]

    def doc(self, portal: str, doc_id: int) -> Any:
        return self.servers[portal].site.doc(doc_id)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("families")
    sites = samples.sample_sites()
    sites["huilai"].page_size = 2  # gkmlpt paging: the 通知公告 category (3 posts) spans two pages
    gbk = samples.huantai_jyt_site(encoding="gbk")
    gbk.name = "huantai_jyt_gbk"
    gbk.options["perpage"] = 3  # dataproxy.jsp paging after the first group of nine
    sites[gbk.name] = gbk
    qingdao = sites["qingdao_jyj"]
    hidden = qingdao.listed()[-1]
    qingdao.robots_disallow = [qingdao.detail_path(hidden.id)]
    servers = {name: PortalServer(site).start() for name, site in sites.items()}
    db_url = f"sqlite:///{tmp / 'eduwatch.db'}"
    config = write_config(tmp / "eduwatch.toml", db_url, servers.values())
    first, items = crawl_with_items(config, ORIGINALS, tmp / "items1")
    second, more = crawl_with_items(config, REPOSTS, tmp / "items2")
    items.update(more)
    db = Database(db_url)
    result = Crawl(servers, first + second, items, db)
    result.hidden_path = qingdao.detail_path(hidden.id)  # type: ignore[attr-defined]
    yield result
    db.dispose()
    for server in servers.values():
        server.stop()


def test_every_portal_ran_ok_and_found_every_listed_document(crawl: Crawl) -> None:
    by_portal = {s.portal: s for s in crawl.summaries}
    assert set(by_portal) == set(ORIGINALS + REPOSTS)
    found = {}
    for portal, server in crawl.servers.items():
        summary = by_portal[portal]
        assert (summary.status, summary.reason, summary.errors) == ("ok", None, 0), portal
        site = server.site
        expected = {site.detail_path(d.id) for d in site.listed()}
        if site.family_name == "hanweb":  # the repost is listed a second time under column 18574
            expected |= {p for _m, p, _s in requests_of(server) if "/art_18574_" in p}
        if portal == "qingdao_jyj":
            expected.discard(crawl.hidden_path)  # type: ignore[attr-defined]
        assert set(by_path(crawl.items[portal])) == expected, portal
        found[f"{site.family_name}:{portal}"] = len(crawl.items[portal])
    print("documents found per portal:", found)
    assert found == {
        "gkmlpt:huilai": 13, "gkmlpt:longchuan_jyj": 9, "gkmlpt:jieyang_jyj": 6, "trs:qingdao_jyj": 11,
        "govcn:govcn": 8, "generic:huantai": 13, "hanweb:huantai_jyt": 17, "hanweb:huantai_jyt_gbk": 17,
    }


def test_every_detail_page_is_requested_once(crawl: Crawl) -> None:
    for portal, server in crawl.servers.items():
        targets = [t for m, t, _s in requests_of(server) if m == "GET"]
        assert len(targets) == len(set(targets)), portal


def test_gkmlpt_seed_document_every_field(crawl: Crawl) -> None:
    item = crawl.item("huilai", 1931056)
    doc = crawl.doc("huilai", 1931056)
    assert item["title"] == item["title_raw"] == samples.HUILAI_TITLE
    assert item["index_no"] == item["index_no_raw"] == "114452240070359782/2023-00093"
    assert item["doc_no"] == item["doc_no_raw"] == "惠府办函〔2023〕260号"
    assert item["publisher"] == "惠来县人民政府办公室"
    assert item["category"] == "教育"
    assert item["written_date"] == "2023-10-12"
    assert dt.datetime.fromtimestamp(int(item["written_date_raw"]), dt.timezone(dt.timedelta(hours=8))).date() == dt.date(2023, 10, 12)
    assert item["published_date"] == "2023-11-10"
    assert item["published_date_raw"] == f"2023-11-10 {doc.published_time}"
    assert item["validity"] == "有效" and item["is_abolished"] is False
    assert item["keywords"] is None
    lines = _lines(item["body"])
    assert lines[0] == "惠府办函〔2023〕260号"
    assert lines[1] == samples.HUILAI_TITLE
    assert lines == _lines(doc.body)
    assert item["attachments"] == []
    assert item["site"] == urlsplit(crawl.servers["huilai"].base_url).netloc
    assert item["list_title"] == samples.HUILAI_TITLE and item["list_date"] == item["published_date_raw"]


def test_gkmlpt_abolished_document(crawl: Crawl) -> None:
    item = crawl.item("huilai", 1702114)
    assert (item["validity"], item["is_abolished"]) == ("废止", True)
    assert item["doc_no"] == "惠府办〔2020〕9号"
    assert (item["written_date"], item["published_date"]) == ("2020-03-02", "2020-03-06")


def test_gkmlpt_attachment_only_notice_takes_its_body_from_the_docx(crawl: Crawl) -> None:
    item = crawl.item("longchuan_jyj", 1214872)
    doc = crawl.doc("longchuan_jyj", 1214872)
    assert item["title"] == samples.LONGCHUAN_TITLE
    assert item["index_no"] == "11441622007184052X/2022-00012"
    assert item["doc_no"] == "龙教〔2022〕12号"
    assert item["publisher"] == "龙川县教育局"
    assert item["category"] == "教育"
    assert (item["written_date"], item["published_date"]) == ("2022-02-17", "2022-02-17")
    [attachment] = item["attachments"]
    assert attachment["name"] == "龙川县加快推进城乡教育优质均衡发展全力提升乡镇教育教学水平实施方案.docx"
    assert attachment["type"] == "docx"
    assert urlsplit(attachment["url"]).path == "/lcxjyj/attachment/1/1216/1216530/1214872.docx"
    assert attachment["error"] is None and attachment["size"] == len(doc.attachments[0].data())
    assert "龙教〔2022〕12号" in attachment["text"]
    # The page said only 详见附件; the body is the attachment's text.
    assert "龙教〔2022〕12号" in item["body"] and "乡镇教育教学水平" in item["body"]
    assert _lines(doc.body)[-1] in _lines(item["body"])


def test_hanweb_repost_listed_twice_with_messy_doc_no_and_pdf_body(crawl: Crawl) -> None:
    items = by_path(crawl.items["huantai_jyt"])
    urls = sorted(p for p in items if p.endswith("_3428810.html"))
    assert urls == ["/art/2023/9/25/art_18573_3428810.html", "/art/2023/9/28/art_18574_3428810.html"]
    for path in urls:
        item = items[path]
        assert item["title"] == samples.HUANTAI_TITLE  # from the title attribute / label, not the cut anchor text
        assert item["index_no"] == "11370321MB28525678/2023-00041"
        assert item["doc_no_raw"] == "桓政办字[2023]18号" and item["doc_no"] == "桓政办字〔2023〕18号"
        assert item["publisher"] == "桓台县教育和体育局"
        assert item["category"] == "教育"
        assert (item["written_date"], item["published_date"]) == ("2023-09-18", "2023-09-25")
        [attachment] = item["attachments"]
        assert (attachment["name"], attachment["type"]) == ("桓台县推进乡村教育振兴工作方案.pdf", "pdf")
        assert urlsplit(attachment["url"]).path == "/module/download/downfile.jsp"
        assert "乡村教育振兴" in attachment["text"]
        assert "乡村教育振兴" in item["body"] and "详见附件" not in item["body"]
    assert items["/art/2023/9/25/art_18573_3428810.html"]["list_date"] == "2023-09-25"
    assert items["/art/2023/9/28/art_18574_3428810.html"]["list_date"] == "2023-09-28"


def test_gbk_variant_reads_exactly_like_the_utf8_one(crawl: Crawl) -> None:
    utf8, gbk = by_path(crawl.items["huantai_jyt"]), by_path(crawl.items["huantai_jyt_gbk"])
    assert set(utf8) == set(gbk)
    fields = ("title", "index_no", "doc_no", "doc_no_raw", "publisher", "category", "written_date", "published_date", "body")
    for path, item in utf8.items():
        assert {f: gbk[path][f] for f in fields} == {f: item[f] for f in fields}, path
    assert "桓台县教育和体育局" in {i["publisher"] for i in gbk.values()}


def test_trs_seed_document_every_field(crawl: Crawl) -> None:
    item = crawl.item("qingdao_jyj", 6310466)
    doc = crawl.doc("qingdao_jyj", 6310466)
    assert item["title"] == samples.QINGDAO_TITLE
    assert item["index_no_raw"] == "qdjyj000/2020-00371" and item["index_no"] == "QDJYJ000/2020-00371"
    assert item["doc_no"] is None
    assert item["publisher"] == "青岛市教育局"
    assert item["category"] == "教育"
    assert item["written_date"] is None
    assert (item["published_date"], item["published_date_raw"]) == ("2020-11-12", "2020年11月12日")
    assert _lines(item["body"]) == _lines(doc.body)
    assert _lines(item["body"])[0].startswith("青岛市教育局 关于印发《实施乡村教育支持行动工作方案(2020-2022)》的通知")
    assert _lines(item["body"])[-1] == "2020年11月9日"
    [attachment] = item["attachments"]
    assert (attachment["name"], attachment["type"]) == ("实施乡村教育支持行动工作方案(2020-2022).pdf", "pdf")
    assert urlsplit(attachment["url"]).path == "/zwgk/xxgk/jyj/gkml/gwfg/202011/P020201112004521.pdf"
    assert "乡村教育支持行动" in attachment["text"] and attachment["error"] is None


def test_govcn_documents_every_field(crawl: Crawl) -> None:
    item = crawl.item("govcn", 5353307)
    doc = crawl.doc("govcn", 5353307)
    assert item["title"] == doc.title
    assert item["index_no"] == "000014349/2018-00222"
    assert item["doc_no"] == "国发〔2018〕43号"
    assert item["publisher"] == "国务院"
    assert item["category"] == "卫生、体育\\医药管理"
    assert (item["written_date"], item["written_date_raw"]) == ("2018-12-21", "2018年12月21日")
    assert (item["published_date"], item["published_date_raw"]) == ("2018-12-29", "2018年12月29日")
    assert _lines(item["body"]) == _lines(doc.body)
    assert _lines(item["body"])[-1] == "（此件公开发布）" and "责任编辑" not in item["body"]
    older = crawl.item("govcn", 5351707)
    assert older["doc_no"] == "国办函〔2004〕57号" and older["publisher"] == "国务院办公厅"
    assert older["keywords"] == "经济管理 考察 措施 函"
    assert (older["written_date"], older["published_date"]) == ("2004-08-12", "2018-12-24")


def test_govcn_new_template_document(crawl: Crawl) -> None:
    """Published since 2023: /zhengce/content/YYYYMM/content_N.htm, body in div.pages_content#UCAP-CONTENT."""
    doc = crawl.doc("govcn", 6900000)
    path = crawl.servers["govcn"].site.detail_path(doc.id)
    assert path == "/zhengce/content/202303/content_6900000.htm"
    item = crawl.item("govcn", doc.id)
    assert (item["title"], item["index_no"], item["doc_no"]) == (doc.title, "000014349/2023-00101", "国函〔2023〕21号")
    assert (item["written_date"], item["published_date"]) == ("2023-03-09", "2023-03-14")
    assert _lines(item["body"]) == _lines(doc.body) and "责任编辑" not in item["body"]


def test_generic_seed_document_and_a_page_without_labels(crawl: Crawl) -> None:
    item = crawl.item("huantai", 5001)
    doc = crawl.doc("huantai", 5001)
    assert item["title"] == samples.HUANTAI_TITLE
    assert item["index_no"] == "113703210043917651/2023-00118"
    assert item["doc_no"] == "桓政办字〔2023〕18号"
    assert item["publisher"] == "桓台县人民政府办公室"
    assert item["category"] == "教育"
    assert (item["written_date"], item["published_date"]) == ("2023-09-18", "2023-09-18")
    assert item["validity"] == "有效"
    assert _lines(item["body"])[:4] == ["桓台县人民政府办公室", "关于印发桓台县推进乡村教育振兴", "工作方案的通知", "桓政办字〔2023〕18号"]
    assert _lines(item["body"]) == _lines(doc.body)
    bare = next(d for d in crawl.servers["huantai"].site.docs if d.flags.get("no_labels"))
    found = crawl.item("huantai", bare.id)
    assert found["title"] == bare.title  # from <h1>
    assert found["index_no"] is None and found["doc_no"] is None
    assert found["published_date"] == bare.published_date.isoformat()  # from the page itself


def test_reposts_are_one_document_with_several_sources(crawl: Crawl) -> None:
    with crawl.db.sessions() as session:
        huilai = session.scalars(select(Document).where(Document.doc_no == "惠府办函〔2023〕260号")).all()
        assert len(huilai) == 1
        urls = sorted(urlsplit(s.url).path for s in huilai[0].sources)
        assert urls == ["/gkmlpt/content/1/1931/post_1931056.html", "/jyj/gkmlpt/content/2/2104/post_2104417.html"]
        # The issuer's own portal (crawled first) speaks for the document, not the repost.
        assert (huilai[0].publisher, huilai[0].index_no) == ("惠来县人民政府办公室", "114452240070359782/2023-00093")
        huantai = session.scalars(select(Document).where(Document.doc_no == "桓政办字〔2023〕18号")).all()
        assert len(huantai) == 1
        paths = sorted(urlsplit(s.url).path for s in huantai[0].sources)
        assert len(paths) == 5  # generic original + two hanweb URLs on each of two hanweb portals
        assert paths.count("/art/2023/9/25/art_18573_3428810.html") == 2
        items = sum(len(v) for v in crawl.items.values())
        sources = session.scalar(select(func.count(Source.id)))
        assert sources == items
        documents = session.scalar(select(func.count(Document.id)))
        # Reposts (1 huilai + 4 huantai URLs) and the GBK twin's 15 other documents add sources only.
        assert documents == items - 1 - 4 - 15
        stored = session.scalars(select(Attachment).where(Attachment.type == "docx")).all()
        assert [a.name for a in stored] == ["龙川县加快推进城乡教育优质均衡发展全力提升乡镇教育教学水平实施方案.docx"]
        assert "龙教〔2022〕12号" in (stored[0].text or "")
        runs = session.scalars(select(CrawlRun)).all()
        assert {r.status for r in runs} == {"ok"} and all(r.finished_at for r in runs)


def test_pagination_was_followed_in_every_family(crawl: Crawl) -> None:
    targets = {portal: [t for _m, t, _s in requests_of(server)] for portal, server in crawl.servers.items()}
    assert any("/gkmlpt/api/all/" in t and "page=2" in t for t in targets["huilai"])
    proxy = [t for t in targets["huantai_jyt_gbk"] if "dataproxy.jsp" in t]
    assert proxy[0].endswith("startrecord=10&endrecord=18&perpage=3")
    assert any(t.endswith("/index_1.shtml") for t in targets["qingdao_jyj"])
    assert any(t.endswith("/index_2.shtml") for t in targets["qingdao_jyj"])
    assert any(t.endswith("/index_2.html") for t in targets["huantai"])
    assert "/zhengce/zuixin/ZUIXINZHENGCE.json" in targets["govcn"]


def test_robots_disallowed_link_is_never_requested(crawl: Crawl) -> None:
    server = crawl.servers["qingdao_jyj"]
    hidden = crawl.hidden_path  # type: ignore[attr-defined]
    assert server.site.requests_to("/robots.txt")
    assert server.site.requests_to(hidden) == []
    assert hidden not in by_path(crawl.items["qingdao_jyj"])


def test_politeness_headers(crawl: Crawl) -> None:
    log = crawl.servers["huilai"].log
    assert {r.headers.get("User-Agent") for r in log} == {"eduwatch/0.1 (+policy-notice monitor; contact: operator)"}
