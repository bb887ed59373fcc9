"""Shandong 政务公开 "gongkai" platform, crawled with the generic spider (list pages + detail pattern).

URLs (``C`` = ``/gongkai/site_{site}/channel_{channel}``):
  ``C/index.html``, ``C/index_2.html`` …   list pages, each with a 下一页 link to the next
  ``C/doc_{24 hex}.html``                  detail; the id is an ObjectId (first 8 hex = creation time)
Documents with ``flags['no_labels']`` have no label table: title only in <h1>, date only in the text.
With ``options['list_json']`` the list is filled by script from ``C/list.json`` —
``{"code": 200, "data": {"total": n, "list": [{"docId", "title", "url", "publishTime"}]}}``,
newest first — and that JSON endpoint is the portal's configured list URL.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from localportals import chrome
from localportals.chrome import esc
from localportals.model import BEIJING, Doc, Site
from localportals.pipeline import Request, Response


def hex_id(doc: Doc) -> str:
    explicit = doc.flags.get("hex_id")
    if explicit:
        return str(explicit)
    d = doc.written_date or doc.published_date
    stamp = int(dt.datetime(d.year, d.month, d.day, 15, 41, tzinfo=BEIJING).timestamp())
    return f"{stamp:08x}{(doc.id * 2654435761) % (1 << 64):016x}"


class Generic:
    name = "generic"

    def default_options(self) -> dict[str, object]:
        return {"site_slug": "htxrmzfbgs", "channel": "c_5f9f6c9be592f315dca00f94_n_1605682832.2693",
                "column": "通知公告"}

    def _root(self, site: Site) -> str:
        return f"{site.prefix}/gongkai/site_{site.options['site_slug']}/channel_{site.options['channel']}"

    def detail_path(self, site: Site, doc: Doc) -> str:
        return f"{self._root(site)}/doc_{hex_id(doc)}.html"

    def list_paths(self, site: Site) -> list[str]:
        if site.options.get("list_json"):
            return [f"{self._root(site)}/list.json"]
        return [f"{self._root(site)}/index.html"]

    def detail_pattern(self, site: Site) -> str | None:
        return r"/doc_[0-9a-f]{24}\.html$"

    def route(self, site: Site, request: Request) -> Response | None:
        path, root = request.path, self._root(site)
        if not path.startswith(root + "/"):
            return None
        rest = path[len(root) + 1:]
        if rest in ("", "index.html"):
            return self.list_page(site, 1)
        if rest == "list.json" and site.options.get("list_json"):
            return self.list_json(site)
        if m := re.fullmatch(r"index_(\d+)\.html", rest):
            return self.list_page(site, int(m.group(1))) if int(m.group(1)) >= 2 else None
        if m := re.fullmatch(r"doc_([0-9a-f]{24})\.html", rest):
            doc = next((d for d in site.docs if hex_id(d) == m.group(1)), None)
            if doc is None:
                return None
            return Response(200, self.detail_page(site, doc), cacheable=True, last_modified=doc.modified,
                            truncatable=True, doc_id=doc.id)
        return None

    def list_page(self, site: Site, number: int) -> Response | None:
        docs = site.listed()
        size = site.page_size
        pages = max((len(docs) + size - 1) // size, 1)
        if number > pages:
            return None
        items = "\n".join(
            f'<li><a href="{self.detail_path(site, d)}" target="_blank">{esc(d.title)}</a>'
            f'<span>{d.shown_date.isoformat()}</span></li>' for d in docs[(number - 1) * size: number * size]
        )
        pager = f"<span>共{len(docs)}条 第{number}/{pages}页</span> "
        if number > 1:
            prev = "index.html" if number == 2 else f"index_{number - 1}.html"
            pager += f'<a href="{prev}">上一页</a> '
        if number < pages:
            pager += f'<a href="index_{number + 1}.html">下一页</a>'
        column = str(site.options["column"])
        page = ("<!DOCTYPE html>\n<html>\n" + chrome.head(site, f"{column}-{site.title}", column) + "<body>\n"
                + chrome.header(site) + chrome.breadcrumb(column)
                + f'<div class="zfxxgk_zdgkc"><ul>\n{items}\n</ul></div>\n<div class="pager">{pager}</div>\n'
                + chrome.footer(site) + "</body></html>\n")
        return Response(200, page, cacheable=True)

    def list_json(self, site: Site) -> Response:
        items = [{"docId": hex_id(d), "title": d.title, "url": self.detail_path(site, d),
                  "publishTime": f"{d.shown_date.isoformat()} {d.published_time}"} for d in site.listed()]
        payload = {"code": 200, "data": {"total": len(items), "list": items}}
        return Response(200, json.dumps(payload, ensure_ascii=False), "application/json", cacheable=True)

    def detail_page(self, site: Site, doc: Doc) -> str:
        column = str(site.options["column"])
        if doc.flags.get("no_labels"):
            table = ""
            info = f'<div class="info">{doc.published_date.year}年{doc.published_date.month}月{doc.published_date.day}日　来源：{esc(doc.publisher)}</div>\n'
        else:
            written = doc.written_date.isoformat() if doc.written_date else ""
            table = (
                '<table class="xxgk-table"><tbody>\n'
                f'<tr><th>索引号</th><td>{esc(doc.index_no)}</td><th>发布机构</th><td>{esc(doc.publisher)}</td></tr>\n'
                f'<tr><th>发文字号</th><td>{esc(doc.doc_no)}</td><th>主题分类</th><td>{esc(doc.category)}</td></tr>\n'
                f'<tr><th>成文日期</th><td>{written}</td><th>发布日期</th><td>{doc.published_date.isoformat()}</td></tr>\n'
                f'<tr><th>标　　题</th><td colspan="3">{esc(doc.title)}</td></tr>\n'
                + (f'<tr><th>有效性</th><td colspan="3">{esc(doc.validity)}</td></tr>\n' if doc.validity else "")
                + "</tbody></table>\n"
            )
            info = f'<div class="info">发布时间：{doc.published_date.isoformat()}</div>\n'
        return ("<!DOCTYPE html>\n<html>\n" + chrome.head(site, doc.title, column, doc) + "<body>\n"
                + chrome.header(site) + chrome.breadcrumb(column) + table
                + f'<div class="detail"><h1>{esc(doc.title)}</h1>\n' + info
                + chrome.tools(chrome.views_text(site, doc))
                + f'<div class="content" id="content">\n{chrome.body_html(doc)}\n</div></div>\n'
                + chrome.share_and_close() + chrome.footer(site) + "</body></html>\n")


FAMILY = Generic()
