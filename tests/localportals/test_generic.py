"""Shandong gongkai imitation: list pages with 下一页, 24-hex doc ids, split-markup 文号, label-less pages."""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup

from localportals.samples import HUANTAI_TITLE
from tests.localportals.conftest import fetch


def test_list_pages_follow_next_link(generic_portal):
    url = generic_portal.site.list_urls()[0]
    pattern = re.compile(generic_portal.site.portal_config()["detail_pattern"])
    found: list[str] = []
    while url:
        soup = BeautifulSoup(fetch(url).text, "lxml")
        found += [urljoin(url, a["href"]) for a in soup.find_all("a", href=pattern)]
        nxt = soup.find("a", string="下一页")
        url = urljoin(url, nxt["href"]) if nxt else None
    assert len(found) == len(set(found)) == 13
    assert any(u.endswith("/doc_6507ff1ce7f79f1832269fe0.html") for u in found)
    assert fetch(generic_portal.site.list_urls()[0].replace("index.html", "index_4.html")).status == 404


def test_seed_page_splits_doc_no_across_tags(generic_portal):
    page = fetch(generic_portal.site.url(5001))
    soup = BeautifulSoup(page.text, "lxml")
    assert "桓政办字〔<span>2023</span>〕<font" in page.text.replace('<span style="font-family:仿宋_GB2312">桓政办字〔</span>', "桓政办字〔")
    assert "桓政办字〔2023〕18号" in soup.select_one("table.xxgk-table").get_text()
    assert soup.select_one("h1").get_text() == HUANTAI_TITLE
    assert "推进乡村教育振兴" in soup.select_one("#content").get_text()


def test_label_less_page(generic_portal):
    doc = next(d for d in generic_portal.site.docs if d.flags.get("no_labels"))
    soup = BeautifulSoup(fetch(generic_portal.site.url(doc.id)).text, "lxml")
    assert not soup.select("table") and soup.select_one("h1").get_text() == doc.title
    d = doc.published_date
    assert f"{d.year}年{d.month}月{d.day}日" in soup.select_one(".info").get_text()


def test_variant_list_filled_by_script_from_json(generic_portal):
    site = generic_portal.site
    site.options["list_json"] = True
    answer = fetch(site.list_urls()[0])
    assert answer.headers["Content-Type"].startswith("application/json")
    data = json.loads(answer.body)["data"]
    assert data["total"] == len(data["list"]) == 13
    first = data["list"][0]
    assert first["url"] == site.detail_path(site.listed()[0].id) and fetch(generic_portal.root_url + first["url"]).status == 200
