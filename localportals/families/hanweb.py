"""Hanweb 大汉 jcms: column page with an embedded XML datastore, dataproxy.jsp paging, /art/ details.

URLs:
  ``/col/col{columnid}/index.html``  first group (perpage × 3 records) inside <script type="text/xml">
  ``/module/web/jpage/dataproxy.jsp?startrecord=A&endrecord=B&perpage=P`` (POST form or GET)
        needs ``columnid`` and ``unitid`` (query or form); wrong/missing → empty datastore
  ``/art/{YYYY}/{M}/{D}/art_{columnid}_{id}.html``  detail (no zero padding)
  ``/module/download/downfile.jsp?classid=0&filename={hex}.{ext}``  attachment
A document with ``flags['duplicate_column']`` is listed a second time as
``art_{that column}_{id}`` three days later, and that URL serves the same page.

Variants seen on real installs (``Site.options``, all off by default):
  ``proxy_path``       only this dataproxy path answers (e.g. the older
                       ``/module/jslib/jquery/jpage/dataproxy.jsp``); the other one is 404
  ``proxy_in_script``  False: the jpage script names no ``proxyUrl``
  ``nextgroup``        False: the datastore has no ``<nextgroup>``
  ``proxy_post``       ``"405"``: a POST to dataproxy.jsp answers 405; ``"empty"``: it answers an
                       empty datastore (only ``GET …?page=N&…`` gives records)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from urllib.parse import quote

from localportals import chrome
from localportals.chrome import esc
from localportals.model import Attachment, Doc, Site
from localportals.pipeline import Request, Response

DETAIL = re.compile(r"^/art/(\d{4})/(\d{1,2})/(\d{1,2})/art_(\d+)_(\d+)\.html$")
PROXY_PATHS = ("/module/web/jpage/dataproxy.jsp", "/module/jslib/jquery/jpage/dataproxy.jsp")
TITLE_CUT = 24  # anchor text is cut to the column width; the title attribute is whole


def _art_path(day: dt.date, column: int, doc_id: int) -> str:
    return f"/art/{day.year}/{day.month}/{day.day}/art_{column}_{doc_id}.html"


def attachment_filename(att: Attachment) -> str:
    return hashlib.md5(f"{att.id}".encode()).hexdigest()[:20] + "." + att.type


class Hanweb:
    name = "hanweb"

    def default_options(self) -> dict[str, object]:
        return {"columnid": 1229, "unitid": 7441, "webid": 38, "webname": "示例县人民政府", "perpage": 15}

    def detail_path(self, site: Site, doc: Doc) -> str:
        return _art_path(doc.published_date, int(site.options["columnid"]), doc.id)  # type: ignore[arg-type]

    def list_paths(self, site: Site) -> list[str]:
        return [f"/col/col{site.options['columnid']}/index.html"]

    def detail_pattern(self, site: Site) -> str | None:
        return r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$"

    # ---- records ------------------------------------------------------------------
    def records(self, site: Site) -> list[tuple[dt.date, str, Doc]]:
        """(date, href, doc) newest first, duplicates included."""
        column = int(site.options["columnid"])  # type: ignore[arg-type]
        rows = []
        for doc in site.listed():
            rows.append((doc.shown_date, _art_path(doc.published_date, column, doc.id), doc))
            dup = doc.flags.get("duplicate_column")
            if dup:
                day = doc.shown_date + dt.timedelta(days=3)
                rows.append((day, _art_path(day, int(dup), doc.id), doc))  # type: ignore[arg-type]
        rows.sort(key=lambda r: (r[0], r[2].id), reverse=True)
        return rows

    def record_xml(self, day: dt.date, href: str, doc: Doc) -> str:
        text = doc.title if len(doc.title) <= TITLE_CUT else doc.title[:TITLE_CUT] + "..."
        return (f'<record><![CDATA[\n<li class="clearfix">    <a target="_blank" href="{href}" '
                f'title="{esc(doc.title)}">{esc(text)}</a>    <b>{day.isoformat()}</b></li>]]></record>')

    def proxy_path(self, site: Site) -> str:
        return str(site.options.get("proxy_path") or PROXY_PATHS[0])

    def datastore(self, site: Site, start: int, end: int, with_next: bool = True) -> str:
        rows = self.records(site)
        perpage = int(site.options["perpage"])  # type: ignore[arg-type]
        total = len(rows)
        pages = (total + perpage - 1) // perpage
        chosen = rows[max(start - 1, 0): max(end, 0)]
        webname = quote(quote(str(site.options["webname"])))
        with_next = with_next and bool(site.options.get("nextgroup", True))
        nextgroup = (f'<nextgroup><![CDATA[<a href="{self.proxy_path(site)}?page=1&appid=1&webid={site.options["webid"]}'
                     f'&path=/&columnid={site.options["columnid"]}&unitid={site.options["unitid"]}&webname={webname}'
                     '&permissiontype=0"></a>]]></nextgroup>\n') if with_next else ""
        records = "\n".join(self.record_xml(*r) for r in chosen)
        return (f"<datastore>\n{nextgroup}<recordset>\n{records}\n</recordset>\n"
                f"<totalrecord>{total}</totalrecord>\n<totalpage>{pages}</totalpage>\n</datastore>")

    # ---- routing --------------------------------------------------------------------
    def route(self, site: Site, request: Request) -> Response | None:
        path = request.path
        if path == self.list_paths(site)[0] or path == f"/col/col{site.options['columnid']}/":
            return Response(200, self.column_page(site), cacheable=True)
        if path in PROXY_PATHS and (not site.options.get("proxy_path") or path == site.options["proxy_path"]):
            if request.method == "POST" and site.options.get("proxy_post") == "405":
                return Response(405, "<html><body><h1>405 Method Not Allowed</h1></body></html>",
                                headers={"Allow": "GET"})
            if request.method == "POST" and site.options.get("proxy_post") == "empty":
                return self.proxy(site, {})  # the form is ignored: no columnid, no records
            return self.proxy(site, request.params)
        if m := DETAIL.match(path):
            return self.detail(site, m)
        if path == "/module/download/downfile.jsp":
            name = request.params.get("filename", "")
            for doc in site.docs:
                for att in doc.attachments:
                    if attachment_filename(att) == name:
                        return Response(200, att.data(), att.mime, headers={
                            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(att.name)}"})
        return None

    def proxy(self, site: Site, params: dict[str, str]) -> Response:
        ok = (params.get("columnid") == str(site.options["columnid"])
              and params.get("unitid") == str(site.options["unitid"]))
        perpage = int(params.get("perpage") or site.options["perpage"])  # type: ignore[arg-type]
        if "startrecord" in params:
            start = int(params.get("startrecord") or 1)
            end = int(params.get("endrecord") or start + perpage * 3 - 1)
        else:  # page=N form: one page of perpage records
            page = max(int(params.get("page") or 1), 1)
            start, end = (page - 1) * perpage + 1, page * perpage
        if not ok:
            body = "<datastore>\n<recordset>\n</recordset>\n<totalrecord>0</totalrecord>\n<totalpage>0</totalpage>\n</datastore>"
        else:
            body = self.datastore(site, start, end)
        return Response(200, '<?xml version="1.0" encoding="UTF-8"?>\n' + body if site.encoding == "utf-8" else body,
                        "text/xml")

    def column_page(self, site: Site) -> str:
        perpage = int(site.options["perpage"])  # type: ignore[arg-type]
        store = self.datastore(site, 1, perpage * 3)
        total = len(self.records(site))
        o = site.options
        config = (
            "$(document).ready(function(){$('#%s').jpage({dataStore: dataStore, perPage: %d, showMode: 'full', "
            "totalRecord: %d, %sgroupSize: 3, barPosition: 'bottom', "
            "ajaxParam: {col: 1, appid: 1, webid: %s, path: '/', columnid: %s, sourceContentType: 1, unitid: '%s', "
            "webname: '%s', permissiontype: 0}});});"
        ) % (o["unitid"], perpage, total,
             f"proxyUrl: '{self.proxy_path(site)}', " if o.get("proxy_in_script", True) else "",
             o["webid"], o["columnid"], o["unitid"], o["webname"])
        return (
            "<!DOCTYPE html>\n<html>\n" + chrome.head(site, f"政府信息公开 {site.title}", "政府信息公开")
            + "<body>\n" + chrome.header(site) + chrome.breadcrumb("政府信息公开")
            + '<div class="main"><div class="left-menu"><ul><li><a href="#">机构职能</a></li><li><a href="#">政策文件</a></li>'
            '<li class="on"><a href="#">通知公告</a></li></ul></div>\n'
            f'<div class="right-list"><div id="{o["unitid"]}"><script type="text/xml">{store}</script></div>\n'
            f"<script>{config}</script></div></div>\n" + chrome.footer(site) + "</body></html>\n"
        )

    def detail(self, site: Site, m: re.Match[str]) -> Response | None:
        doc = site.doc(int(m.group(5)))
        if doc is None:
            return None
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        column = int(m.group(4))
        valid = {(doc.published_date, int(site.options["columnid"])),  # type: ignore[arg-type]
                 (doc.shown_date, int(site.options["columnid"]))}  # type: ignore[arg-type]
        if doc.flags.get("duplicate_column"):
            valid.add((doc.shown_date + dt.timedelta(days=3), int(doc.flags["duplicate_column"])))  # type: ignore[arg-type]
        if (day, column) not in valid:
            return None
        return Response(200, self.detail_page(site, doc), cacheable=True, last_modified=doc.modified,
                        truncatable=True, doc_id=doc.id)

    def detail_page(self, site: Site, doc: Doc) -> str:
        written = doc.written_date.strftime("%Y-%m-%d") if doc.written_date else ""
        rows = [
            ("索 引 号", doc.index_no, "发布机构", doc.publisher),
            ("主题分类", doc.category, "成文日期", written),
            ("发文字号", doc.doc_no, "发布日期", doc.published_date.strftime("%Y-%m-%d")),
        ]
        if doc.validity:
            rows.append(("有 效 性", doc.validity, "主 题 词", doc.keywords))
        table = '<table class="xxgk_table" width="100%" cellspacing="0" cellpadding="0">\n<tbody>\n'
        for a, av, b, bv in rows:
            table += (f'<tr><td class="xxgk_label" width="15%">{a}：</td><td width="35%">{esc(av)}</td>'
                      f'<td class="xxgk_label" width="15%">{b}：</td><td width="35%">{esc(bv)}</td></tr>\n')
        table += f'<tr><td class="xxgk_label">标　　题：</td><td colspan="3">{esc(doc.title)}</td></tr>\n</tbody></table>\n'
        links = "".join(
            f'<p><a href="/module/download/downfile.jsp?classid=0&amp;filename={attachment_filename(a)}">{esc(a.name)}</a></p>\n'
            for a in doc.attachments
        )
        return (
            "<!DOCTYPE html>\n<html>\n" + chrome.head(site, doc.title, "通知公告", doc) + "<body>\n"
            + chrome.header(site) + chrome.breadcrumb("通知公告")
            + '<div class="main-content">\n' + table
            + f'<div class="title"><h2>{esc(doc.title)}</h2></div>\n'
            f'<div class="info">发布日期：{doc.published_date.isoformat()}　信息来源：{esc(doc.publisher)}　'
            f'浏览次数：<span id="views">{chrome.views_text(site, doc)}</span></div>\n'
            + '<div id="zoom"><!--<$[信息内容]>begin-->' + chrome.body_html(doc) + "\n" + links
            + "<!--<$[信息内容]>end--></div>\n</div>\n" + chrome.share_and_close()
            + chrome.footer(site) + "</body></html>\n"
        )


FAMILY = Hanweb()
