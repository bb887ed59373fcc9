"""Every page over HTTP, on SQLite and PostgreSQL: content, filters, paging, 404, escaping, headers."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from monitor.shell.web.app import CONTENT_SECURITY_POLICY
from tests.monitor.shell.web.site import EVIL_TITLE, OTHER_TITLES, PLAN_TITLE, Site


def test_home_shows_plan_events_first_and_portal_health(client: TestClient, site: Site) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    plans = html.index("乡村教育规划：最新变动")
    assert plans < html.index(PLAN_TITLE) < html.index("其他文件变动")
    assert "修订" in html and "北京时间" in html
    assert "失败" in html and "连接被重置" in html  # huilai's last crawl failed: the health box says why


def test_security_headers_on_every_page(client: TestClient, site: Site) -> None:
    for path in ("/", "/documents", f"/documents/{site.plan_id}", "/api/documents", "/feeds/plans.atom"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src" not in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in client.get("/").text  # no script of our own, inline or not


def test_documents_filters_and_pages(client: TestClient, site: Site) -> None:
    first = client.get("/documents")
    assert first.status_code == 200 and "第 1 / 2 页（共 27 条）" in first.text
    second = client.get("/documents", params={"page": 2})
    assert "第 2 / 2 页" in second.text and "上一页" in second.text
    titles = lambda response: re.findall(r'class="title" href="/documents/(\d+)"', response.text)  # noqa: E731
    assert len(titles(first)) == 20 and len(titles(second)) == 7
    assert not set(titles(first)) & set(titles(second))
    assert titles(client.get("/documents", params={"plans": "true"})) == [str(site.plan_id)]
    assert titles(client.get("/documents", params={"portal": "huantai"})) == [str(site.plan_id)]
    assert titles(client.get("/documents", params={"region": "山东省"})) == [str(site.plan_id)]
    assert titles(client.get("/documents", params={"region": "广东省"})).count(str(site.plan_id)) == 0
    assert titles(client.get("/documents", params={"kind": "revised"})) == [str(site.plan_id)]
    assert titles(client.get("/documents", params={"q": "乡村教育"})) == [str(site.plan_id)]
    assert titles(client.get("/documents", params={"since": "2999-01-01"})) == []
    assert len(titles(client.get("/documents", params={"until": "2999-01-01"}))) == 20
    assert 'href="/documents?page=2"' in first.text
    filtered = client.get("/documents", params={"q": "财政", "portal": "huilai"}).text  # 25 matches: 2 pages
    assert 'href="/documents?q=%E8%B4%A2%E6%94%BF&amp;portal=huilai&amp;page=2"' in filtered  # the next page keeps the filters


def test_document_page(client: TestClient, site: Site) -> None:
    html = client.get(f"/documents/{site.plan_id}").text
    for expected in ("桓政办字〔2023〕18号", "11370321004355283T/2023-00018", "桓台县人民政府办公室", "2023-09-18",
                     "有效", "http://127.0.0.1:9/p-1.html", "附件1.docx", "判定为<strong>乡村教育规划</strong>",
                     "第 2 版", "与上一版比较", "版本记录", "正文"):
        assert expected in html, expected
    assert "依据" in html  # the classifier's evidence table


def test_missing_document_is_404(client: TestClient, site: Site) -> None:
    for path in ("/documents/999999", "/documents/999999/diff", f"/documents/{site.plan_id}/diff?from=1&to=7"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "找不到页面" in response.text


def test_html_and_script_in_a_document_are_shown_escaped(client: TestClient, site: Site) -> None:
    for path in (f"/documents/{site.evil_id}", "/documents", "/events", "/", "/search?q=教师培训"):
        html = client.get(path).text
        assert "<script>alert" not in html, path
        assert "<b>加粗</b>" not in html, path
    html = client.get(f"/documents/{site.evil_id}").text
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;&lt;b&gt;加粗&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert EVIL_TITLE not in client.get("/feeds/plans.atom").text


def test_diff_page_inline_and_side_by_side(client: TestClient, site: Site) -> None:
    inline = client.get(f"/documents/{site.plan_id}/diff")
    assert inline.status_code == 200
    assert "第 1 版 → 第 2 版" in inline.text and "修改摘要" in inline.text
    assert "<ins>全面</ins>" in inline.text and "<ins>新</ins>" in inline.text
    side = client.get(f"/documents/{site.plan_id}/diff", params={"from": 1, "to": 2, "view": "side"})
    assert 'class="side-by-side"' in side.text and "<ins>全面</ins>" in side.text
    assert client.get(f"/documents/{site.plan_id}/diff", params={"full": "true"}).text.count("<ins>") >= 2
    assert "还没有修订" in client.get(f"/documents/{site.evil_id}/diff").text


def test_events_page_filters_and_pages(client: TestClient, site: Site) -> None:
    html = client.get("/events").text
    assert "下一页" in html  # 28 events, 20 a page
    assert "下一页" not in client.get("/events", params={"page": 2}).text
    revised = client.get("/events", params={"kind": "revised"}).text
    assert revised.count('class="event kind-revised"') == 1 and 'kind-new"' not in revised
    assert OTHER_TITLES[0] not in client.get("/events", params={"plans": "true"}).text


def test_portals_page(client: TestClient, site: Site) -> None:
    html = client.get("/portals").text
    assert "桓台县人民政府" in html and "惠来县人民政府" in html and "山东省淄博市桓台县" in html
    assert "守护进程未运行" in html  # no schedule published: no next run to show


def test_search_page_marks_matches(client: TestClient, site: Site) -> None:
    html = client.get("/search", params={"q": "乡村教育"}).text
    assert "找到 1 份文件" in html and "<mark>乡村教育</mark>" in html
    assert "找到 2 份文件" in client.get("/search", params={"q": "教师"}).text  # the plan's attachment, the 培训 notice
    assert "找到 0 份文件" in client.get("/search", params={"q": "乡村", "portal": "huilai"}).text
    assert "第 2 / 2 页" in client.get("/search", params={"q": "财政", "page": 2}).text


def test_related_pages_page(client: TestClient, site: Site) -> None:
    assert f'href="/documents/{site.plan_id}/related"' in client.get(f"/documents/{site.plan_id}").text
    page = client.get(f"/documents/{site.plan_id}/related")
    assert page.status_code == 200 and "相关页面" in page.text and PLAN_TITLE in page.text
    assert client.get("/documents/999999/related").status_code == 404
