"""gov.cn imitation: HTML list and JSON feed, old and new detail templates, 责任编辑 after the body."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup

from tests.localportals.conftest import fetch


def test_list_and_feed_agree(govcn_portal):
    html_url, feed_url = govcn_portal.site.list_urls()
    hrefs = [a["href"] for a in BeautifulSoup(fetch(html_url).text, "lxml").select(".list a")]
    feed = json.loads(fetch(feed_url).body)
    assert [govcn_portal.root_url + h for h in hrefs] == [item["URL"] for item in feed]
    assert len(feed) == 8 and set(feed[0]) == {"TITLE", "URL", "DOCRELPUBTIME"}
    assert "/zhengce/content/2018-12/29/content_5353307.htm" in hrefs


def test_old_template(govcn_portal):
    soup = BeautifulSoup(fetch(govcn_portal.site.url(5353307)).text, "lxml")
    cells = [td.get_text() for td in soup.select("table.bd1 td")]
    assert cells[:4] == ["索 引 号：", "000014349/2018-00222", "主题分类：", "卫生、体育\\医药管理"]
    assert "2018年12月21日" in cells and "国发〔2018〕43号" in cells
    body = soup.select_one("td#UCAP-CONTENT").get_text()
    assert "海南博鳌乐城国际医疗旅游先行区" in body and "责任编辑" not in body
    assert "责任编辑" in soup.select_one(".editor").get_text()
    assert soup.find("meta", attrs={"name": "firstpublishedtime"})["content"].startswith("2018-12-29-")


def test_new_template(govcn_portal):
    new = next(d for d in govcn_portal.site.docs if d.published_date.year >= 2023)
    url = govcn_portal.site.url(new.id)
    assert url.endswith(f"/zhengce/content/{new.published_date:%Y%m}/content_{new.id}.htm")
    soup = BeautifulSoup(fetch(url).text, "lxml")
    assert soup.select_one("div.pages_content#UCAP-CONTENT").get_text().strip().startswith(new.body.split("\n")[0])
    assert fetch(url.replace(f"{new.published_date:%Y%m}", "2018-12/29")).status == 404
