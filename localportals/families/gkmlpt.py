"""gkmlpt — Guangdong's 政府信息公开目录管理平台.

URLs (``P`` = the site prefix, e.g. ``/swlhjyj``; empty when mounted at the root):
  ``P/gkmlpt/index``                                   page with ``window._CONFIG = {SID: '…', TREE: […]}``
  ``P/gkmlpt/api/all/{category_id}?page=N&sid=SID``    JSON list, newest first, page 1 first
  ``P/gkmlpt/content/{id//10^6}/{id//10^3}/post_{id}.html``   detail
  ``P/attachment/{aid//10^6}/{aid//10^3}/{aid}/{post}.{ext}``  attachment

API variants seen on real sites (``Site.options``, all off by default):
  ``api_page_size``  posts per API page (e.g. 100) instead of ``Site.page_size``
  ``api_past_end``   ``"last"``: a page past the end answers the last page again (default: empty)
  ``api_total``      False: no top-level ``total`` in the answer
  ``api_pages``      N: only N pages exist, page > N answers 404
  ``api_window``     N: only the N most recent posts of a category are in the API (``total`` counts
                     them, ``classify.post_count`` and the TREE still count the whole category)
  ``article_host``   ``"scheme://host"``: the articles' ``url``/``post_url`` point at this other
                     host (a copy site), while the detail pages are served here
Page 0 always answers like page 1.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from localportals import chrome
from localportals.chrome import esc
from localportals.model import BEIJING, Doc, Site
from localportals.pipeline import Request, Response

DETAIL = re.compile(r"^/gkmlpt/content/(\d+)/(\d+)/post_(\d+)\.html$")
API = re.compile(r"^/gkmlpt/api/all/(\d+)$")
ATTACHMENT = re.compile(r"^/attachment/(\d+)/(\d+)/(\d+)/(\d+)\.(\w+)$")

#: category -> parent node name in the TREE (anything else sits under 综合政务)
PARENTS = {"教育": "科教文卫", "科技、教育、通知": "科教文卫", "卫生": "科教文卫", "文化": "科教文卫"}


def _epoch(day: dt.date, clock: str = "00:00:00") -> int:
    h, m, s = (int(x) for x in clock.split(":"))
    return int(dt.datetime(day.year, day.month, day.day, h, m, s, tzinfo=BEIJING).timestamp())


class Gkmlpt:
    name = "gkmlpt"

    def default_options(self) -> dict[str, object]:
        return {"sid": "755041", "category_base": 2449, "categories": {}, "service_area_id": 1}

    # ---- paths ------------------------------------------------------------------
    def detail_path(self, site: Site, doc: Doc) -> str:
        return f"{site.prefix}/gkmlpt/content/{doc.id // 1000000}/{doc.id // 1000}/post_{doc.id}.html"

    def attachment_path(self, site: Site, doc: Doc, aid: int, ext: str) -> str:
        return f"{site.prefix}/attachment/{aid // 1000000}/{aid // 1000}/{aid}/{doc.id}.{ext}"

    def list_paths(self, site: Site) -> list[str]:
        """None: a gkmlpt portal is configured by its base_url; the spider starts at {base}/gkmlpt/index."""
        return []

    def detail_pattern(self, site: Site) -> str | None:
        return r"/gkmlpt/content/\d+/\d+/post_\d+\.html$"

    # ---- the category tree -------------------------------------------------------
    def category_id(self, site: Site, name: str) -> int:
        ids: dict[str, int] = site.options["categories"]  # type: ignore[assignment]
        if name not in ids:
            ids[name] = int(site.options["category_base"]) + 2 + 2 * len(ids)  # type: ignore[arg-type]
        return ids[name]

    def tree(self, site: Site) -> list[dict[str, object]]:
        docs = site.listed()
        for doc in docs:
            self.category_id(site, doc.category)
        parents: dict[str, dict[str, object]] = {}
        base = int(site.options["category_base"])  # type: ignore[arg-type]
        for name, cid in sorted(site.options["categories"].items(), key=lambda kv: kv[1]):  # type: ignore[union-attr]
            parent_name = PARENTS.get(name, "综合政务")
            parent = parents.get(parent_name)
            if parent is None:
                pid = base + 2 * len(parents) + 1 + 1000
                parent = parents[parent_name] = {"id": pid, "name": parent_name, "parent": 0, "post_count": 0,
                                                 "children": []}
            count = sum(1 for d in docs if d.category == name)
            parent["children"].append({"id": cid, "name": name, "parent": parent["id"], "post_count": count,  # type: ignore[union-attr]
                                       "children": []})
            parent["post_count"] = int(parent["post_count"]) + count  # type: ignore[arg-type]
        return list(parents.values())

    def _node(self, site: Site, cid: int) -> tuple[dict[str, object] | None, set[str]]:
        for parent in self.tree(site):
            if parent["id"] == cid:
                return parent, {c["name"] for c in parent["children"]}  # type: ignore[index,union-attr]
            for child in parent["children"]:  # type: ignore[union-attr]
                if child["id"] == cid:
                    return child, {child["name"]}
        return None, set()

    # ---- routing --------------------------------------------------------------------
    def route(self, site: Site, request: Request) -> Response | None:
        path = request.path
        if site.prefix:
            if not path.startswith(site.prefix + "/"):
                return None
            path = path[len(site.prefix):]
        if path in ("/gkmlpt/index", "/gkmlpt/index.html", "/gkmlpt/"):
            return Response(200, self.index_page(site), cacheable=True)
        if m := API.match(path):
            return self.api(site, int(m.group(1)), request.params)
        if m := DETAIL.match(path):
            post = int(m.group(3))
            doc = site.doc(post)
            if doc is None or int(m.group(1)) != post // 1000000 or int(m.group(2)) != post // 1000:
                return None
            return Response(200, self.detail_page(site, doc), cacheable=True, last_modified=doc.modified,
                            truncatable=True, doc_id=doc.id)
        if m := ATTACHMENT.match(path):
            doc = site.doc(int(m.group(4)))
            aid = int(m.group(3))
            for att in doc.attachments if doc else []:
                if att.id == aid and att.type == m.group(5):
                    return Response(200, att.data(), att.mime)
        return None

    def index_page(self, site: Site) -> str:
        tree = json.dumps(self.tree(site), ensure_ascii=False)
        config = (f"window._CONFIG = {{SID: '{site.options['sid']}', TREE: {tree}, "
                  f"SERVICE_AREA_ID: {site.options['service_area_id']}, IS_SHOW_TITLE: 1}};")
        return (
            "<!DOCTYPE html>\n<html>\n" + chrome.head(site, f"{site.title}政府信息公开", "政府信息公开目录")
            + "<body>\n" + chrome.header(site) + chrome.breadcrumb("政府信息公开目录")
            + '<div id="app"><div class="gkml-tree">正在加载……</div><div class="gkml-list"></div></div>\n'
            + f"<script>{config}</script>\n"
            + '<script src="/gkmlpt/static/js/app.js"></script>\n' + chrome.footer(site) + "</body></html>\n"
        )

    def api(self, site: Site, cid: int, params: dict[str, str]) -> Response:
        if params.get("sid") != str(site.options["sid"]):
            return Response(403, json.dumps({"code": 403, "msg": "sid error"}), "application/json")
        node, names = self._node(site, cid)
        if node is None:
            return Response(200, json.dumps({"classify": {}, "articles": [], "total": 0}), "application/json")
        docs = [d for d in site.listed() if d.category in names]
        window = site.options.get("api_window")
        if window:  # only the most recent posts; total counts the window, post_count the whole category
            docs = docs[: int(window)]  # type: ignore[call-overload]
        try:
            page = max(int(params.get("page") or 1), 1)  # page 0 answers like page 1, as on many sites
        except ValueError:
            page = 1
        size = int(site.options.get("api_page_size") or site.page_size)  # type: ignore[call-overload]
        pages = max((len(docs) + size - 1) // size, 1)
        max_pages = site.options.get("api_pages")
        if max_pages and page > int(max_pages):  # type: ignore[call-overload]
            return Response(404, json.dumps({"code": 404, "msg": "not found"}), "application/json")
        if site.options.get("api_past_end") == "last":
            page = min(page, pages)  # past the end: the last page again
        chunk = docs[(page - 1) * size: page * size]
        classify = {k: node[k] for k in ("id", "name", "parent", "post_count")}
        classify["theme_count"] = node["post_count"]
        payload: dict[str, object] = {"classify": classify, "articles": [self.article(site, d) for d in chunk]}
        if site.options.get("api_total", True):
            payload["total"] = len(docs)
        return Response(200, json.dumps(payload, ensure_ascii=False), "application/json", cacheable=True)

    def article(self, site: Site, doc: Doc) -> dict[str, object]:
        url = str(site.options.get("article_host") or site.base_url_root) + self.detail_path(site, doc)
        written = doc.written_date or doc.published_date
        return {
            "id": doc.id,
            "title": doc.title,
            "identifier": doc.index_no,
            "document_number": doc.doc_no,
            "publisher": doc.publisher,
            "keywords": doc.keywords,
            "date": _epoch(written),
            "created_at": f"{doc.shown_date.isoformat()} {doc.published_time}",
            "create_time": _epoch(doc.shown_date, doc.published_time) + 4,
            "display_publish_time": _epoch(doc.shown_date, doc.published_time),
            "abstract": "",
            "classify_main": self.category_id(site, doc.category),
            "classify_main_name": doc.category,
            "classify_genre_name": "",
            "classify_theme_name": "",
            "url": url,
            "post_url": url,
            "attachment": [
                {"id": a.id, "name": a.name, "type": a.type, "mime": a.mime, "size": str(len(a.data())),
                 "url": site.base_url_root + self.attachment_path(site, doc, a.id, a.type)}
                for a in doc.attachments
            ],
            "relation": "[]",
            "is_expired": 1 if doc.validity == "失效" else 0,
            "is_abolished": 1 if doc.abolished or doc.validity == "废止" else 0,
        }

    def detail_page(self, site: Site, doc: Doc) -> str:
        written = (doc.written_date or doc.published_date).isoformat()
        table = (
            '<div class="classify"><table>\n'
            f'<tr><td class="td-title">索引号：</td><td class="td-value-xl"><span>{esc(doc.index_no)}</span></td>'
            f'<td class="td-title">分类：</td><td class="td-value"><span>{esc(doc.category)}</span></td></tr>\n'
            f'<tr><td class="td-title">发布机构：</td><td class="td-value-xl"><span>{esc(doc.publisher)}</span></td>'
            f'<td class="td-title">成文日期：</td><td class="td-value"><span>{written}</span></td></tr>\n'
            f'<tr><td class="td-title">名称：</td><td class="td-value" colspan="3"><span>{esc(doc.title)}</span></td></tr>\n'
            f'<tr><td class="td-title">文号：</td><td class="td-value-xl"><span>{esc(doc.doc_no)}</span></td>'
            f'<td class="td-title">发布日期：</td><td class="td-value"><span>{doc.published_date.isoformat()}</span></td></tr>\n'
            f'<tr><td class="td-title">主题词：</td><td class="td-value" colspan="3"><span>{esc(doc.keywords)}</span></td></tr>\n'
        )
        if doc.validity:
            table += f'<tr><td class="td-title">有效性：</td><td class="td-value" colspan="3"><span>{esc(doc.validity)}</span></td></tr>\n'
        table += "</table></div>\n"
        links = "".join(
            f'<p>附件：<a target="_blank" class="nfw-cms-attachment" attachment-id="{a.id}" '
            f'href="{site.base_url_root}{self.attachment_path(site, doc, a.id, a.type)}" alt="{esc(a.name)}">{esc(a.name)}</a></p>\n'
            for a in doc.attachments
        )
        content = chrome.body_html(doc) + "\n" + links
        detail = json.dumps({"id": doc.id, "title": doc.title, "identifier": doc.index_no,
                             "document_number": doc.doc_no, "publisher": doc.publisher,
                             "is_abolished": 1 if doc.abolished else 0, "content": content}, ensure_ascii=False)
        detail = detail.replace("<", "\\u003C").replace(">", "\\u003E")
        return (
            "<!DOCTYPE html>\n<html>\n" + chrome.head(site, doc.title, doc.category, doc) + "<body>\n"
            + chrome.header(site) + chrome.breadcrumb("政府信息公开目录")
            + '<div class="content">\n' + table
            + f'<div class="article-title"><h1 class="title">{esc(doc.title)}</h1>\n'
            f'<div class="date-row"><span>发布日期：{doc.published_date.isoformat()}</span> '
            f'<span class="views">浏览次数：{chrome.views_text(site, doc)}</span></div></div>\n'
            '<div class="print-tools">【<a href="javascript:window.print()">打印</a>】 【字体：大 中 小】</div>\n'
            f'<div class="article-content">\n{content}</div>\n</div>\n'
            + chrome.share_and_close()
            + f"<script>window._CONFIG = {{ SID: '{site.options['sid']}', DETAIL: {detail} }};</script>\n"
            + chrome.footer(site) + "</body></html>\n"
        )


FAMILY = Gkmlpt()
