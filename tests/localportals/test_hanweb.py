"""Hanweb imitation: embedded datastore, dataproxy paging, duplicates, detail markup, GBK."""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import pypdf
from bs4 import BeautifulSoup

from localportals.samples import HUANTAI_TITLE
from tests.localportals.conftest import fetch

FORM = {"col": "1", "appid": "1", "webid": "61", "path": "/", "columnid": "18573", "unitid": "72143",
        "webname": "桓台县教育和体育局", "permissiontype": "0"}


def _records(xml: str) -> list[tuple[str, str, str, str]]:
    """(href, title attribute, anchor text, date) of every CDATA record."""
    return re.findall(r'<a target="_blank" href="([^"]+)" title="([^"]+)">([^<]+)</a>\s*<b>([\d-]+)</b>', xml)


def test_column_page_embeds_first_group_in_cdata(hanweb_portal):
    page = fetch(hanweb_portal.site.list_urls()[0])
    assert page.status == 200
    store = re.search(r'<script type="text/xml">(<datastore>.*?</datastore>)</script>', page.text, re.S).group(1)
    assert "<nextgroup><![CDATA[" in store and "<totalrecord>17</totalrecord>" in store
    assert "<totalpage>6</totalpage>" in store
    records = _records(store)
    assert len(records) == 9  # perpage 3 x 3
    assert all(re.fullmatch(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html", r[0]) for r in records)
    cut = [r for r in records if r[2].endswith("...")]
    assert cut and all(r[1].startswith(r[2][:-3]) and len(r[1]) > len(r[2]) - 3 for r in cut)
    assert not BeautifulSoup(page.text, "lxml").select("a[href^='/art/']")  # links only inside the CDATA
    assert "proxyUrl: '/module/web/jpage/dataproxy.jsp'" in page.text


def test_dataproxy_post_pages_through_all_records(hanweb_portal):
    url = hanweb_portal.root_url + "/module/web/jpage/dataproxy.jsp"
    first = _records(fetch(hanweb_portal.site.list_urls()[0]).text)
    second = _records(fetch(url + "?startrecord=10&endrecord=18&perpage=3", data=urlencode(FORM).encode()).text)
    assert len(second) == 8
    hrefs = [r[0] for r in first + second]
    assert len(set(hrefs)) == 17
    assert fetch(url + "?startrecord=19&endrecord=27&perpage=3", data=urlencode(FORM).encode()).text.count("<record>") == 0
    log = [r for r in hanweb_portal.log if r.path.endswith("dataproxy.jsp")]
    assert log[0].method == "POST" and log[0].headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_dataproxy_get_and_wrong_column(hanweb_portal):
    url = hanweb_portal.root_url + "/module/web/jpage/dataproxy.jsp"
    page2 = _records(fetch(url + "?" + urlencode({**FORM, "page": 2, "perpage": 3})).text)
    assert len(page2) == 3
    empty = fetch(url + "?" + urlencode({**FORM, "columnid": "1", "startrecord": 1, "endrecord": 9})).text
    assert "<record>" not in empty and "<totalrecord>0</totalrecord>" in empty
    no_column = fetch(url + "?startrecord=1&endrecord=9&perpage=3").text
    assert "<record>" not in no_column


def test_document_listed_twice_under_two_urls_and_dates(hanweb_portal):
    url = hanweb_portal.root_url + "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=30&perpage=3"
    records = [r for r in _records(fetch(url, data=urlencode(FORM).encode()).text) if r[1] == HUANTAI_TITLE]
    assert sorted((r[0], r[3]) for r in records) == [
        ("/art/2023/9/25/art_18573_3428810.html", "2023-09-25"),
        ("/art/2023/9/28/art_18574_3428810.html", "2023-09-28"),
    ]
    for href, *_ in records:
        assert fetch(hanweb_portal.root_url + href).status == 200
    assert fetch(hanweb_portal.root_url + "/art/2023/9/26/art_18573_3428810.html").status == 404


def test_detail_label_table_zoom_markers_and_pdf(hanweb_portal):
    page = fetch(hanweb_portal.site.url(3428810))
    soup = BeautifulSoup(page.text, "lxml")
    cells = [td.get_text() for td in soup.select("table.xxgk_table td")]
    assert "桓政办字[2023]18号" in cells and "11370321MB28525678/2023-00041" in cells and "索 引 号：" in cells
    zoom = re.search(r"<!--<\$\[信息内容\]>begin-->(.*)<!--<\$\[信息内容\]>end-->", page.text, re.S).group(1)
    assert "详见附件。" in zoom
    link = soup.select_one("#zoom a")
    assert link.get_text() == "桓台县推进乡村教育振兴工作方案.pdf"
    assert re.fullmatch(r"/module/download/downfile\.jsp\?classid=0&filename=[0-9a-f]{20}\.pdf", link["href"])
    pdf = fetch(hanweb_portal.root_url + link["href"])
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF-1.4")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.body)).pages)
    assert "乡村全环境立德树人工程" in text.replace("\n", "")


def test_gbk_site_sends_gbk_bytes(hanweb_gbk_portal):
    page = fetch(hanweb_gbk_portal.site.url(3428810))
    assert page.headers["Content-Type"] == "text/html; charset=GBK"
    assert "桓台县教育和体育局".encode("gbk") in page.body
    assert "桓台县教育和体育局".encode("utf-8") not in page.body
    assert 'charset=gb2312' in page.body.decode("gbk")
    listing = fetch(hanweb_gbk_portal.site.list_urls()[0])
    assert len(_records(listing.body.decode("gbk"))) == 9


def test_gbk_site_without_header_charset(hanweb_gbk_portal):
    hanweb_gbk_portal.site.charset_in_header = False
    page = fetch(hanweb_gbk_portal.site.url(3428810))
    assert page.headers["Content-Type"] == "text/html"
    assert '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' in page.body.decode("gbk")


def test_variant_older_proxy_path_only(hanweb_portal):
    site = hanweb_portal.site
    site.options.update(proxy_path="/module/jslib/jquery/jpage/dataproxy.jsp", proxy_in_script=False, nextgroup=False)
    column = fetch(site.list_urls()[0]).text
    assert "proxyUrl" not in column and "<nextgroup>" not in column and len(_records(column)) == 9
    query = "?startrecord=10&endrecord=18&perpage=3"
    old = fetch(hanweb_portal.root_url + site.options["proxy_path"] + query, data=urlencode(FORM).encode())
    assert len(_records(old.text)) == 8
    assert fetch(hanweb_portal.root_url + "/module/web/jpage/dataproxy.jsp" + query,
                 data=urlencode(FORM).encode()).status == 404


def test_variant_post_refused_or_ignored_get_works(hanweb_portal):
    site = hanweb_portal.site
    url = hanweb_portal.root_url + "/module/web/jpage/dataproxy.jsp"
    site.options["proxy_post"] = "405"
    refused = fetch(url + "?startrecord=10&endrecord=18&perpage=3", data=urlencode(FORM).encode())
    assert refused.status == 405 and refused.headers["Allow"] == "GET"
    site.options["proxy_post"] = "empty"
    ignored = fetch(url + "?startrecord=10&endrecord=18&perpage=3", data=urlencode(FORM).encode())
    assert ignored.status == 200 and "<totalrecord>0</totalrecord>" in ignored.text and not _records(ignored.text)
    assert len(_records(fetch(url + "?" + urlencode({**FORM, "page": 4, "perpage": 3})).text)) == 3
