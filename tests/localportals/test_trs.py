"""TRS imitation: createPageHTML paging, relative dated links, both metadata markups, P0 attachments."""

from __future__ import annotations

import io
import re
from urllib.parse import urljoin

import pypdf
from bs4 import BeautifulSoup

from localportals.samples import QINGDAO_TITLE
from tests.localportals.conftest import fetch


def test_list_pages_and_page_count(trs_portal):
    index = trs_portal.site.list_urls()[0]
    assert index.endswith("/zwgk/xxgk/jyj/gkml/gwfg/index.shtml")
    links: list[str] = []
    for n in range(3):
        url = index if n == 0 else index.replace("index.shtml", f"index_{n}.shtml")
        page = fetch(url)
        assert page.status == 200
        assert f'createPageHTML(3, {n}, "index", "shtml")' in page.text
        hrefs = [a["href"] for a in BeautifulSoup(page.text, "lxml").select("ul.list a")]
        assert all(re.fullmatch(r"\./\d{6}/t\d{8}_\d+\.shtml", h) for h in hrefs)
        links += [urljoin(url, h) for h in hrefs]
    assert len(links) == len(set(links)) == 12
    assert fetch(index.replace("index.shtml", "index_3.shtml")).status == 404
    assert fetch(links[-1]).status == 200


def test_detail_li_metadata_body_and_attachment(trs_portal):
    url = trs_portal.site.url(6310466)
    assert url.endswith("/gwfg/202011/t20201112_6310466.shtml")
    page = fetch(url)
    soup = BeautifulSoup(page.text, "lxml")
    labels = {li.select("span")[0].get_text(): li.select("span")[1].get_text() for li in soup.select(".xxgk-info li")}
    assert labels["标题："] == QINGDAO_TITLE and labels["发布日期："] == "2020年11月12日"
    body = soup.select_one("div.TRS_Editor").get_text()
    assert "城区优质学校与乡村薄弱学校结对率达到100%" in body and "【打印】" not in body
    link = soup.select_one(".appendix a")["href"]
    assert re.fullmatch(r"\./P020201112\d{6}\.pdf", link)
    pdf = fetch(urljoin(url, link))
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.body)).pages).replace("\n", "")
    assert "乡村教育支持行动" in text


def test_odd_ids_use_a_label_table(trs_portal):
    odd = next(d for d in trs_portal.site.docs if d.id % 2)
    soup = BeautifulSoup(fetch(trs_portal.site.url(odd.id)).text, "lxml")
    assert not soup.select(".xxgk-info") and soup.select("table.xxgk-table th")[0].get_text() == "索引号:"
    assert fetch(trs_portal.site.url(odd.id).replace("/t20", "/t19")).status == 404
