"""The spiders' page readers and the incremental decisions, on snippets shaped like real pages."""

from __future__ import annotations

import datetime as dt

import pytest

from crawler.incremental import ListWalk, Verdict, conditional_headers, list_request_headers
from crawler.politeness import backoff_delay
from crawler.settings import crawl_settings
from crawler.spiders import PLATFORM_MODULES, spider_for
from crawler.spiders.listing import list_links
from crawler.spiders.records import BrokenPage
from crawler.spiders.generic import json_list_entries, next_page_url
from crawler.spiders.gkmlpt import detail_config_content, leaf_categories, parse_index_config
from crawler.spiders.govcn import feed_entries
from crawler.spiders.hanweb import jpage_config, unwrap_datastore
from crawler.spiders.trs import article_pages, page_count, page_url
from crawler.spiders.truncation import detail_truncation, list_truncation
from eduwatch.config import CrawlConfig
from storage.records import ListEntry
from storage.store import KnownSource

GKMLPT_INDEX = """<script>window._CONFIG = {SID: '755041', TREE: [{"id": 3449, "name": "综合政务", "parent": 0,
 "post_count": 3, "children": [{"id": 2451, "name": "通知公告", "parent": 3449, "post_count": 2, "children": []},
 {"id": 2453, "name": "教育", "parent": 3449, "post_count": 1, "children": []}]},
 {"id": 2460, "name": "机构职能", "parent": 0, "post_count": 0, "children": []}], SERVICE_AREA_ID: 1, IS_SHOW_TITLE: 1};
</script>"""

# The shape of a real dataproxy.jsp answer (定西, see shared/samples): CDATA records, double-encoded webname.
HANWEB_DATASTORE = """<datastore>
        <nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&appid=1&webid=110&path=/&columnid=12377&unitid=38486&webname=%25E5%25AE%259A&permissiontype=0"></a>]]></nextgroup>
        <recordset>
        <record><![CDATA[
        <li class="clearfix">    <a target="_blank" href="/art/2022/1/20/art_12377_1486865.html" title="定西市“春节”文明祭祀倡议书">定西市“春节”文明祭祀倡议书</a>    <b>2022-01-20</b></li>]]></record>
        <record><![CDATA[
        <li class="clearfix">    <a target="_blank" href="/art/2022/1/19/art_12377_1486583.html" title="定西市工信局关于对省级第二轮环保督察反馈问题整改情况的公示">定西市工信局关于对省级第二轮环保督察反馈...</a>    <b>2022-01-19</b></li>]]></record>
        </recordset>
        <totalrecord>45</totalrecord>
        <totalpage>3</totalpage>
</datastore>"""


def test_gkmlpt_index_config_is_read_from_the_js_object_literal() -> None:
    sid, tree = parse_index_config(GKMLPT_INDEX)
    assert sid == "755041"
    assert list(leaf_categories(tree)) == [2451, 2453, 2460]


def test_gkmlpt_index_without_config_is_a_broken_page() -> None:
    with pytest.raises(BrokenPage, match="no window._CONFIG"):
        parse_index_config("<html><body>维护中</body></html>")


def test_gkmlpt_detail_content_from_the_escaped_json() -> None:
    page = """<script>window._CONFIG = { SID: '1', DETAIL: {"id": 5, "content": "\\u003Cp\\u003E正文\\u003C/p\\u003E"} };</script>"""
    assert detail_config_content(page) == "<p>正文</p>"
    assert detail_config_content("<html></html>") is None


def test_hanweb_datastore_is_unwrapped_and_titles_come_from_the_title_attribute() -> None:
    html, params, total = unwrap_datastore(f"<html><script type='text/xml'>{HANWEB_DATASTORE}</script></html>")
    assert total == 45
    assert (params["columnid"], params["unitid"], params["webid"]) == ("12377", "38486", "110")
    entries = list_links(html, "http://zwgk.dingxi.gov.cn/col/col12377/index.html", r"/art/\d{4}/\d+/\d+/art_\d+_\d+\.html$")
    assert [(e.url, e.title, e.date) for e in entries] == [
        ("http://zwgk.dingxi.gov.cn/art/2022/1/20/art_12377_1486865.html", "定西市“春节”文明祭祀倡议书", "2022-01-20"),
        ("http://zwgk.dingxi.gov.cn/art/2022/1/19/art_12377_1486583.html",
         "定西市工信局关于对省级第二轮环保督察反馈问题整改情况的公示", "2022-01-19"),
    ]


def test_hanweb_jpage_script_parameters() -> None:
    script = ("$('#4').jpage({dataStore: dataStore, perPage: 15, totalRecord: 241, proxyUrl: '/module/web/jpage/dataproxy.jsp', "
              "ajaxParam: {col: 1, appid: 1, webid: 38, path: '/', columnid: 1229, unitid: '7441', webname: '示例县', permissiontype: 0}});")
    params, per_page, total, proxy = jpage_config(script)
    assert (per_page, total, proxy) == (15, 241, "/module/web/jpage/dataproxy.jsp")
    assert params == {"col": "1", "appid": "1", "webid": "38", "path": "/", "columnid": "1229", "unitid": "7441",
                      "webname": "示例县", "permissiontype": "0"}


def test_trs_page_count_and_page_urls() -> None:
    assert page_count('<script>createPageHTML(12, 0, "index", "shtml")</script>') == (12, "index", "shtml")
    assert page_count("<script>var countPage = 7//共多少页</script>") == (7, None, None)
    assert page_count("<html></html>") == (None, None, None)
    first = "http://edu.qingdao.gov.cn/zwgk/xxgk/jyj/gkml/gwfg/index.shtml"
    assert page_url(first, 0) == first
    assert page_url(first, 3, "index", "shtml") == "http://edu.qingdao.gov.cn/zwgk/xxgk/jyj/gkml/gwfg/index_3.shtml"
    relative = list_links('<ul><li><a href="./202204/t20220417_974894.shtml">标题</a><span>2022-04-17</span></li></ul>',
                          first, r"/t\d{8}_\d+\.s?html?$")
    assert [(e.url, e.date) for e in relative] == [
        ("http://edu.qingdao.gov.cn/zwgk/xxgk/jyj/gkml/gwfg/202204/t20220417_974894.shtml", "2022-04-17")]


def test_govcn_feed_entries() -> None:
    feed = [{"TITLE": "国务院关于……的通知", "URL": "/zhengce/content/202311/content_6915871.htm", "DOCRELPUBTIME": "2023-11-13"},
            {"TITLE": "no url"}]
    assert feed_entries(feed, "https://www.gov.cn/zhengce/zuixin/ZUIXINZHENGCE.json") == [
        ListEntry("https://www.gov.cn/zhengce/content/202311/content_6915871.htm", "国务院关于……的通知", "2023-11-13", 0)]
    assert feed_entries({"unexpected": 1}, "https://www.gov.cn/") == []


def test_generic_next_page_link() -> None:
    pager = '<div><a href="index.html">上一页</a> <a href="index_3.html">下一页</a></div>'
    assert next_page_url(pager, "http://h/gongkai/c/index_2.html") == "http://h/gongkai/c/index_3.html"
    assert next_page_url('<a href="javascript:void(0)">下一页</a>', "http://h/") is None


def _known(url: str, title: str, date: str, fetched: dt.datetime | None = None) -> KnownSource:
    return KnownSource(url, 1, title, date, '"e"', None, fetched, 0)


def test_list_walk_verdicts() -> None:
    now = dt.datetime(2024, 3, 1, 12)
    known = {"u1": _known("u1", "甲", "2024-02-01", now - dt.timedelta(days=10))}
    walk = ListWalk(known)
    assert walk.verdict(ListEntry("u2", "乙", "2024-02-02")) is Verdict.NEW
    assert walk.verdict(ListEntry("u1", "甲", "2024-02-01")) is Verdict.KNOWN
    assert walk.verdict(ListEntry("u1", "甲（修订）", "2024-02-01")) is Verdict.CHANGED
    assert walk.verdict(ListEntry("u1", "甲", "2024-02-05")) is Verdict.CHANGED
    assert walk.verdict(ListEntry("u1", None, None)) is Verdict.KNOWN  # a list without title/date says nothing
    assert ListWalk(known, full=True).verdict(ListEntry("u1", "甲", "2024-02-01")) is Verdict.REFETCH
    # crawler.freshness decides which known pages are due; the walk only applies its choice.
    assert ListWalk(known, revisit=frozenset({"u1"})).verdict(ListEntry("u1", "甲", "2024-02-01")) is Verdict.REVISIT
    assert ListWalk(known, revisit=frozenset({"u2"})).verdict(ListEntry("u1", "甲", "2024-02-01")) is Verdict.KNOWN


def test_probe_candidates_stay_inside_the_walked_range() -> None:
    known = {url: _known(url, url, date) for url, date in
             [("new-gone", "2024-02-20"), ("old-gone", "2023-01-01"), ("listed", "2024-02-25"), ("undated", "")]}
    walk = ListWalk(known)
    walk.observe("list-a", [ListEntry("listed", "listed", "2024-02-25"), ListEntry("x", "x", "2024-02-10")])
    assert walk.probe_candidates() == ["new-gone"]  # older than what page 1 covered: not a candidate
    walk.observe("list-b", [ListEntry("y", "y", "2024-02-22")])
    assert walk.probe_candidates() == []  # list b stopped at 02-22: 02-20 is outside its range
    walk.reached_end("list-b")
    assert walk.probe_candidates() == ["new-gone"]
    walk.reached_end("list-a")
    assert walk.probe_candidates() == ["new-gone", "old-gone", "undated"]


def test_conditional_and_list_headers() -> None:
    assert conditional_headers('"abc"', "Tue, 05 Mar 2024 08:00:00 GMT") == {
        "If-None-Match": '"abc"', "If-Modified-Since": "Tue, 05 Mar 2024 08:00:00 GMT"}
    assert conditional_headers(None, None) == {}
    assert list_request_headers(full=False) == {"Cache-Control": "max-age=0"}
    assert list_request_headers(full=True) == {"Cache-Control": "no-cache"}


def test_backoff_doubles_and_honours_retry_after() -> None:
    assert [backoff_delay(n, 1.0, 60.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(10, 1.0, 60.0) == 60.0
    assert backoff_delay(1, 0.25, 60.0, retry_after=5) == 5
    assert backoff_delay(1, 0.25, 60.0, retry_after=3600) == 60.0


def test_crawl_config_maps_onto_scrapy_settings() -> None:
    settings = crawl_settings(CrawlConfig(delay=3.5, concurrency_per_host=2, timeout=12, retries=4, obey_robots=False,
                                          user_agent="ua/1"), database_url="sqlite:////var/lib/eduwatch/e.db")
    assert settings == {
        "USER_AGENT": "ua/1", "ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 3.5, "DOWNLOAD_DELAY_JITTER": 0.5,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "CONCURRENT_REQUESTS": 3, "DOWNLOAD_TIMEOUT": 12, "RETRY_TIMES": 4,
        "RETRY_BACKOFF_BASE": 3.5, "HTTPCACHE_DIR": "/var/lib/eduwatch/httpcache", "ROBOTS_CACHE_HOURS": 24.0,
    }


def test_no_remote_doors_into_the_crawler() -> None:
    from scrapy.utils.test import get_crawler

    import crawler.settings as module

    assert module.TELNETCONSOLE_ENABLED is False and module.REMOTE_CONTROL_ENABLED is False
    values = {k: getattr(module, k) for k in dir(module) if k.isupper()}
    crawler = get_crawler(settings_dict=values)
    crawler._apply_settings()
    enabled = {type(ext).__name__ for ext in crawler.extensions.middlewares}
    assert "RemoteControl" not in enabled and "TelnetConsole" not in enabled
    assert "CoreStats" in enabled


def test_every_platform_has_its_spider() -> None:
    for platform in PLATFORM_MODULES:
        assert spider_for(platform).name == platform == spider_for(platform).platform


PAGE_HEAD = '<!DOCTYPE html>\n<html><head><title>t</title></head><body><div class="header">站</div>\n'


def test_a_page_without_end_tags_is_whole_when_its_body_container_closes() -> None:
    whole = PAGE_HEAD + '<div class="TRS_Editor"><div><p>正文</p></div></div>\n<div class="footer">版权</div>\n'
    assert detail_truncation(whole, (".TRS_Editor",)) is None
    assert detail_truncation(whole.replace("</div>\n<div class", "\n<div class", 1), (".TRS_Editor",)) is None
    assert detail_truncation(whole + "</body>", ("#zoom",)) is None  # </body>: whole, container or not


def test_a_page_cut_inside_or_before_its_body_is_truncated() -> None:
    inside = PAGE_HEAD + '<div class="TRS_Editor"><div><p>正文</p></div><p>第二段'
    assert detail_truncation(inside, (".TRS_Editor",)) == "detail page is truncated (body container never closed, no </body>)"
    assert detail_truncation(PAGE_HEAD + "<table>", ("#zoom", ".TRS_Editor")) == (
        "detail page is truncated (ends before its body container, no </body>)")
    hanweb = PAGE_HEAD + '<div id="zoom"><!--<$[信息内容]>begin--><p>正文</p></div>'
    assert detail_truncation(hanweb, ("#zoom",)) == (
        "detail page is truncated (信息内容 begin marker without its end, no </body>)")


def test_list_page_heuristic_only_rejects_a_page_that_stops_mid_text() -> None:
    assert list_truncation(PAGE_HEAD + "<ul><li><a href='/a'>一</a></li></ul>\n") is None
    assert list_truncation(PAGE_HEAD + "<ul><li><a href='/a'>一</a></li><li><a hr") is not None


def test_trs_article_pages_from_the_article_pager_or_its_links() -> None:
    url = "http://edu.qingdao.gov.cn/zwgk/gkml/202204/t20220417_974894.shtml"
    pager = '<div><script>createPageHTML(3, 0, "t20220417_974894", "shtml")</script></div>'
    assert article_pages(pager, url) == [url.replace(".shtml", "_1.shtml"), url.replace(".shtml", "_2.shtml")]
    links = '<a href="t20220417_974894_1.shtml">2</a> <a href="./t20220417_974894_1.shtml">下一页</a>'
    assert article_pages(links, url) == [url.replace(".shtml", "_1.shtml")]
    list_pager = '<script>createPageHTML(12, 0, "index", "shtml")</script>'
    assert article_pages(list_pager, url) == []  # the list's pager is not the article's


def test_generic_json_list_entries_whatever_the_shape() -> None:
    payload = {"code": 200, "data": {"total": 2, "list": [
        {"docId": "6507ff1ce7f79f1832269fe0", "docTitle": "桓台县教育强县实施方案", "url": "./doc_6507ff1ce7f79f1832269fe0.html",
         "pubDate": "2023-09-24"},
        {"id": 2, "title": "另一份通知", "link": "/gongkai/site_x/channel_y/doc_6507ff1ce7f79f1832269fe1.html",
         "publishTime": "2023-09-20 10:00:00", "attachments": [{"url": "/file.pdf"}]}]}}
    base = "http://www.huantai.gov.cn/gongkai/site_x/channel_y/list.json"
    assert json_list_entries(payload, base, r"/doc_[0-9a-f]{24}\.html$") == [
        ListEntry("http://www.huantai.gov.cn/gongkai/site_x/channel_y/doc_6507ff1ce7f79f1832269fe0.html",
                  "桓台县教育强县实施方案", "2023-09-24", 0),
        ListEntry("http://www.huantai.gov.cn/gongkai/site_x/channel_y/doc_6507ff1ce7f79f1832269fe1.html",
                  "另一份通知", "2023-09-20 10:00:00", 1)]
