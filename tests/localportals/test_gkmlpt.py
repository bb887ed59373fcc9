"""gkmlpt imitation: index config, list API, detail page, attachments, prefixes."""

from __future__ import annotations

import io
import json
import re

import docx
from bs4 import BeautifulSoup

from localportals.samples import HUILAI_TITLE, LONGCHUAN_TITLE
from tests.localportals.conftest import fetch


def _config_tree(html: str) -> tuple[str, list[dict]]:
    match = re.search(r"window\._CONFIG = \{SID: '(\d+)', TREE: (\[.*?\]), SERVICE_AREA_ID", html)
    assert match, "window._CONFIG with SID and TREE not found"
    return match.group(1), json.loads(match.group(2))


def _leaves(tree: list[dict]) -> list[dict]:
    return [child for node in tree for child in node["children"]]


def test_index_page_holds_js_config_with_tree(gkmlpt_portal):
    page = fetch(gkmlpt_portal.base_url + "/gkmlpt/index")
    assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=UTF-8"
    sid, tree = _config_tree(page.text)
    assert sid == "755041"
    assert sum(node["post_count"] for node in tree) == len(gkmlpt_portal.site.docs) == 13
    education = [leaf for leaf in _leaves(tree) if leaf["name"] == "教育"]
    assert len(education) == 1 and education[0]["post_count"] == 2
    assert all(leaf["parent"] in {node["id"] for node in tree} for leaf in _leaves(tree))


def test_api_pages_newest_first_and_past_end_is_empty(gkmlpt_portal):
    base = gkmlpt_portal.base_url
    _, tree = _config_tree(fetch(base + "/gkmlpt/index").text)
    parent = next(node for node in tree if node["name"] == "综合政务")
    seen = []
    for page in (1, 2, 3):
        answer = json.loads(fetch(f"{base}/gkmlpt/api/all/{parent['id']}?page={page}&sid=755041").body)
        assert answer["total"] == parent["post_count"] == 11
        assert answer["classify"]["id"] == parent["id"]
        seen += answer["articles"]
    assert [len(seen[:5]), len(seen[5:10]), len(seen[10:])] == [5, 5, 1]
    dates = [a["created_at"] for a in seen]
    assert dates == sorted(dates, reverse=True)
    past = json.loads(fetch(f"{base}/gkmlpt/api/all/{parent['id']}?page=4&sid=755041").body)
    assert past["articles"] == []


def test_api_article_fields_match_the_real_shape(gkmlpt_portal):
    base = gkmlpt_portal.base_url
    _, tree = _config_tree(fetch(base + "/gkmlpt/index").text)
    edu = next(leaf for leaf in _leaves(tree) if leaf["name"] == "教育")
    answer = json.loads(fetch(f"{base}/gkmlpt/api/all/{edu['id']}?page=1&sid=755041").body)
    plan, old = answer["articles"]
    assert plan["title"] == HUILAI_TITLE
    assert plan["identifier"] == "114452240070359782/2023-00093"
    assert plan["document_number"] == "惠府办函〔2023〕260号"
    assert plan["publisher"] == "惠来县人民政府办公室"
    assert plan["date"] == 1697040000  # 2023-10-12 00:00 Beijing
    assert plan["created_at"].startswith("2023-11-10 ")
    assert plan["url"] == plan["post_url"] == f"{base}/gkmlpt/content/1/1931/post_1931056.html"
    assert plan["is_abolished"] == 0 and old["is_abolished"] == 1
    assert set(plan) >= {"id", "title", "identifier", "document_number", "publisher", "keywords", "date",
                         "created_at", "create_time", "abstract", "classify_main_name", "url", "post_url",
                         "attachment", "is_expired", "is_abolished"}


def test_api_wrong_sid_is_403_json(gkmlpt_portal):
    answer = fetch(gkmlpt_portal.base_url + "/gkmlpt/api/all/2451?page=1&sid=1")
    assert answer.status == 403
    assert json.loads(answer.body)["code"] == 403
    assert fetch(gkmlpt_portal.base_url + "/gkmlpt/api/all/2451?page=1").status == 403


def test_detail_page_labels_body_and_detail_json(gkmlpt_portal):
    page = fetch(gkmlpt_portal.site.url(1931056))
    soup = BeautifulSoup(page.text, "lxml")
    xl = [s.get_text() for s in soup.select("div.classify td.td-value-xl > span")]
    plain = [s.get_text() for s in soup.select("div.classify td.td-value > span")]
    assert xl == ["114452240070359782/2023-00093", "惠来县人民政府办公室", "惠府办函〔2023〕260号"]
    assert plain[:4] == ["教育", "2023-10-12", HUILAI_TITLE, "2023-11-10"]
    body = soup.select_one(".article-content").get_text()
    assert "补齐乡村教育短板" in body and "浏览次数" not in body and "打印" not in body
    assert "浏览次数" in page.text and "【关闭】" in page.text
    detail = re.search(r"DETAIL: (\{.*\}) \};</script>", page.text).group(1)
    assert "\\u003Cp" in detail
    assert "补齐乡村教育短板" in json.loads(detail)["content"]
    assert soup.find("meta", attrs={"name": "ArticleTitle"})["content"] == HUILAI_TITLE
    assert soup.find("meta", attrs={"name": "SiteName"})["content"] == "惠来县人民政府"


def test_wrong_detail_path_is_404(gkmlpt_portal):
    assert fetch(gkmlpt_portal.base_url + "/gkmlpt/content/1/1000/post_1931056.html").status == 404
    assert fetch(gkmlpt_portal.base_url + "/gkmlpt/content/1/1931/post_1931057.html").status == 404


def test_prefixed_site_and_attachment_only_docx(gkmlpt_prefixed_portal):
    server = gkmlpt_prefixed_portal
    assert server.base_url.endswith("/lcxjyj")
    assert fetch(server.root_url + "/gkmlpt/index").status == 404
    sid, tree = _config_tree(fetch(server.base_url + "/gkmlpt/index").text)
    edu = next(leaf for leaf in _leaves(tree) if leaf["name"] == "教育")
    article = json.loads(fetch(f"{server.base_url}/gkmlpt/api/all/{edu['id']}?page=1&sid={sid}").body)["articles"][0]
    assert article["title"] == LONGCHUAN_TITLE and article["document_number"] == "龙教〔2022〕12号"
    [attachment] = article["attachment"]
    assert attachment["url"].startswith(server.base_url + "/attachment/1/1216/1216530/1214872.docx")
    page = BeautifulSoup(fetch(article["url"]).text, "lxml")
    assert page.select_one(".article-content p").get_text() == "详见附件。"
    assert page.select_one("a.nfw-cms-attachment")["href"] == attachment["url"]
    file = fetch(attachment["url"])
    assert file.status == 200 and file.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert int(attachment["size"]) == len(file.body)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(file.body)).paragraphs)
    assert "城乡教育优质均衡发展" in text and "“县管校聘”" in text


def test_repost_site_shares_title_not_index_no(gkmlpt_portal, gkmlpt_repost_portal):
    original = gkmlpt_portal.site.doc(1931056)
    repost = gkmlpt_repost_portal.site.doc(2104417)
    assert repost.title == original.title
    assert repost.doc_no == "惠府办函[2023]260号" != original.doc_no
    assert repost.index_no != original.index_no
    page = fetch(gkmlpt_repost_portal.site.url(2104417))
    assert "惠府办函[2023]260号" in page.text and gkmlpt_repost_portal.site.url(2104417) != gkmlpt_portal.site.url(1931056)


def _api(portal, cid, page):  # type: ignore[no-untyped-def]
    return fetch(f"{portal.base_url}/gkmlpt/api/all/{cid}?page={page}&sid=755041")


def _category(portal, name):  # type: ignore[no-untyped-def]
    _, tree = _config_tree(fetch(portal.base_url + "/gkmlpt/index").text)
    return next(node for node in tree if node["name"] == name)


def test_api_variants_page_size_repeat_past_end_and_no_total(gkmlpt_portal):
    gkmlpt_portal.site.options.update(api_page_size=100, api_past_end="last", api_total=False)
    cid = _category(gkmlpt_portal, "综合政务")["id"]
    first, zero, past = (json.loads(_api(gkmlpt_portal, cid, p).body) for p in (1, 0, 2))
    assert len(first["articles"]) == 11 and "total" not in first
    assert zero == first and past == first


def test_api_variants_one_page_then_404_and_recent_window(gkmlpt_portal):
    site = gkmlpt_portal.site
    node = _category(gkmlpt_portal, "综合政务")
    site.options["api_pages"] = 1
    assert _api(gkmlpt_portal, node["id"], 1).status == 200 and _api(gkmlpt_portal, node["id"], 2).status == 404
    site.options.update(api_pages=None, api_window=3)
    window = json.loads(_api(gkmlpt_portal, node["id"], 1).body)
    assert (window["total"], window["classify"]["post_count"], len(window["articles"])) == (3, 11, 3)
    assert json.loads(_api(gkmlpt_portal, node["id"], 2).body)["articles"] == []


def test_api_variant_article_urls_on_another_host(gkmlpt_portal):
    site = gkmlpt_portal.site
    site.options["article_host"] = "http://www.copy.example"
    cid = _category(gkmlpt_portal, "综合政务")["id"]
    article = json.loads(_api(gkmlpt_portal, cid, 1).body)["articles"][0]
    assert article["url"] == "http://www.copy.example" + site.detail_path(article["id"])
    assert fetch(site.url(article["id"])).status == 200  # the page itself is served here
