"""Mutations the monitor tests apply between crawls, observed over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlencode

import pytest

from localportals import Doc
from tests.localportals.conftest import fetch
from tests.localportals.test_hanweb import FORM, _records


def _gkmlpt_articles(server, category: str = "教育") -> list[dict]:
    html = fetch(server.base_url + "/gkmlpt/index").text
    tree = json.loads(re.search(r"TREE: (\[.*?\]), SERVICE_AREA_ID", html).group(1))
    leaf = next(c for n in tree for c in n["children"] if c["name"] == category)
    return json.loads(fetch(f"{server.base_url}/gkmlpt/api/all/{leaf['id']}?page=1&sid=755041").body)["articles"]


def test_edit_body_and_title(gkmlpt_portal):
    site = gkmlpt_portal.site
    site.edit_body(1931056, "补齐乡村教育短板", "补齐农村教育短板")
    site.set_title(1931056, "惠来县教育行动方案（修订）")
    page = fetch(site.url(1931056)).text
    assert "补齐农村教育短板" in page and "补齐乡村教育短板" not in page
    assert _gkmlpt_articles(gkmlpt_portal)[0]["title"] == "惠来县教育行动方案（修订）"
    with pytest.raises(ValueError):
        site.edit_body(1931056, "没有这段文字", "x")


def test_remove_doc_leaves_lists_and_404s(hanweb_portal):
    site = hanweb_portal.site
    url = site.url(3428810)
    site.remove_doc(3428810)
    assert fetch(url).status == 404
    proxy = hanweb_portal.root_url + "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=30&perpage=3"
    records = _records(fetch(proxy, data=urlencode(FORM).encode()).text)
    assert len(records) == 15 and not any("3428810" in r[0] for r in records)
    with pytest.raises(KeyError):
        site.url(3428810)


def test_abolish_shows_in_api_and_label(gkmlpt_portal):
    gkmlpt_portal.site.abolish(1931056)
    article = next(a for a in _gkmlpt_articles(gkmlpt_portal) if a["id"] == 1931056)
    assert article["is_abolished"] == 1
    assert "<span>废止</span>" in fetch(gkmlpt_portal.site.url(1931056)).text


def test_touch_moves_list_date_and_order(trs_portal):
    site = trs_portal.site
    oldest = min(site.docs, key=lambda d: d.published_date)
    site.touch(oldest.id, dt.date(2021, 1, 5))
    first_link = re.search(r'href="\./(\d{6}/t\d{8}_\d+)\.shtml"[^>]*>[^<]*</a><span class="date">([\d-]+)',
                           fetch(site.list_urls()[0]).text)
    assert first_link.group(1).endswith(f"_{oldest.id}") and first_link.group(2) == "2021-01-05"
    assert fetch(site.url(oldest.id)).status == 200  # the URL keeps its original date


def test_add_doc_appears_first(govcn_portal):
    site = govcn_portal.site
    doc = site.add_doc(Doc(id=site.next_id(), title="国务院办公厅关于加强乡村教师队伍建设的意见", body="各省、自治区、直辖市人民政府：\n为加强乡村教师队伍建设……",
                           published_date=dt.date(2024, 9, 1), doc_no="国办发〔2024〕30号", index_no="000014349/2024-00099"))
    feed = json.loads(fetch(site.list_urls()[1]).body)
    assert feed[0]["TITLE"] == doc.title and feed[0]["URL"] == site.url(doc.id)
    assert "为加强乡村教师队伍建设" in fetch(site.url(doc.id)).text
    with pytest.raises(ValueError):
        site.add_doc(doc)
