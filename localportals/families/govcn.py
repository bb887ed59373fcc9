"""www.gov.cn policy library (国务院政策文件库).

URLs:
  ``/zhengce/zuixin.htm``                      HTML list of the latest policies
  ``/zhengce/zuixin/ZUIXINZHENGCE.json``       the same as ``[{TITLE, URL, DOCRELPUBTIME}]``
  ``/zhengce/content/YYYY-MM/DD/content_N.htm`` old template (published before 2023): table.bd1 + td#UCAP-CONTENT
  ``/zhengce/content/YYYYMM/content_N.htm``     new template: div.pages_content#UCAP-CONTENT
Both templates end the body with a 责任编辑 line that is not part of the document.
"""

from __future__ import annotations

import json
import re

from localportals import chrome
from localportals.chrome import esc
from localportals.model import Doc, Site
from localportals.pipeline import Request, Response

OLD = re.compile(r"^/zhengce/content/(\d{4})-(\d{2})/(\d{2})/content_(\d+)\.htm$")
NEW = re.compile(r"^/zhengce/content/(\d{6})/content_(\d+)\.htm$")


def _cn(day) -> str:  # type: ignore[no-untyped-def]
    return f"{day.year}年{day.month}月{day.day}日"


class Govcn:
    name = "govcn"

    def default_options(self) -> dict[str, object]:
        return {"editor": "王洋"}

    def detail_path(self, site: Site, doc: Doc) -> str:
        d = doc.published_date
        if d.year < 2023:
            return f"/zhengce/content/{d:%Y-%m}/{d:%d}/content_{doc.id}.htm"
        return f"/zhengce/content/{d:%Y%m}/content_{doc.id}.htm"

    def list_paths(self, site: Site) -> list[str]:
        return ["/zhengce/zuixin.htm", "/zhengce/zuixin/ZUIXINZHENGCE.json"]

    def detail_pattern(self, site: Site) -> str | None:
        return r"/zhengce/content/[\d-]+(/\d{2})?/content_\d+\.htm$"

    def route(self, site: Site, request: Request) -> Response | None:
        path = request.path
        if path == "/zhengce/zuixin.htm":
            return Response(200, self.list_page(site), cacheable=True)
        if path == "/zhengce/zuixin/ZUIXINZHENGCE.json":
            feed = [{"TITLE": d.title, "URL": site.base_url_root + self.detail_path(site, d),
                     "DOCRELPUBTIME": d.shown_date.isoformat()} for d in site.listed()]
            return Response(200, json.dumps(feed, ensure_ascii=False), "application/json", cacheable=True)
        m = OLD.match(path) or NEW.match(path)
        if m:
            doc = site.doc(int(m.groups()[-1]))
            if doc is None or self.detail_path(site, doc) != path:
                return None
            return Response(200, self.detail_page(site, doc), cacheable=True, last_modified=doc.modified,
                            truncatable=True, doc_id=doc.id)
        return None

    def list_page(self, site: Site) -> str:
        items = "\n".join(
            f'<li><h4><a href="{self.detail_path(site, d)}" target="_blank">{esc(d.title)}</a>'
            f'<span class="date">{d.shown_date.isoformat()}</span></h4></li>' for d in site.listed()
        )
        return ("<!DOCTYPE html>\n<html>\n" + chrome.head(site, "最新政策_中国政府网", "最新")
                + "<body>\n" + chrome.header(site) + chrome.breadcrumb("最新政策")
                + f'<div class="list list_1 list_2"><ul>\n{items}\n</ul></div>\n'
                + chrome.footer(site) + "</body></html>\n")

    def _labels(self, doc: Doc) -> str:
        written = _cn(doc.written_date) if doc.written_date else ""
        return (
            '<table width="660" border="0" cellpadding="0" cellspacing="0" class="bd1"><tbody>\n'
            f'<tr><td width="70"><b>索 引 号：</b></td><td width="260">{esc(doc.index_no)}</td>'
            f'<td width="70"><b>主题分类：</b></td><td width="260">{esc(doc.category)}</td></tr>\n'
            f'<tr><td><b>发文机关：</b></td><td>{esc(doc.publisher)}</td><td><b>成文日期：</b></td><td>{written}</td></tr>\n'
            f'<tr><td><b>标　　题：</b></td><td colspan="3">{esc(doc.title)}</td></tr>\n'
            f'<tr><td><b>发文字号：</b></td><td>{esc(doc.doc_no)}</td><td><b>发布日期：</b></td>'
            f'<td>{_cn(doc.published_date)}</td></tr>\n</tbody></table>\n'
            '<table width="660" border="0" cellpadding="0" cellspacing="0" class="bd1"><tbody>\n'
            f'<tr><td width="70" valign="top"><b>主 题 词：</b></td><td width="250" valign="top">{esc(doc.keywords)}</td>'
            '<td width="68" valign="top"></td><td valign="top"></td></tr>\n</tbody></table>\n'
        )

    def detail_page(self, site: Site, doc: Doc) -> str:
        stamp = f"{doc.published_date.isoformat()}-{doc.published_time}"
        metas = (f'<meta name="firstpublishedtime" content="{stamp}">\n'
                 f'<meta name="lastmodifiedtime" content="{stamp}">\n'
                 f'<meta name="manuscriptId" content="{doc.id}">\n<meta name="lanmu" content="政策">\n')
        editor = f'<div class="editor">【我要纠错】 责任编辑：{esc(str(site.options["editor"]))}</div>\n'
        body = chrome.body_html(doc)
        if doc.published_date.year < 2023:
            main = (
                '<div class="wrap" style="font-family:宋体;">\n<table width="724" border="0" cellpadding="0" '
                'cellspacing="0" style="border:1px solid #999999;"><tbody><tr><td>\n' + self._labels(doc)
                + '</td></tr></tbody></table>\n<br>\n<table width="724" border="0"><tbody><tr><td><br>\n'
                '<table width="650" border="0"><tbody><tr>\n'
                f'<td class="b12c" id="UCAP-CONTENT">{body}</td>\n</tr></tbody></table>\n'
                '</td></tr></tbody></table>\n</div>\n' + editor
            )
        else:
            main = (
                '<div class="mainbody"><div class="policyLibraryOverview_header">\n' + self._labels(doc)
                + '</div>\n<div class="article"><div class="pages_content" id="UCAP-CONTENT">\n' + body
                + "\n</div>\n" + editor + "</div></div>\n"
            )
        return ("<!DOCTYPE html>\n<html>\n" + chrome.head(site, f"{doc.title}_国务院文件_中国政府网", "国务院文件", doc, metas)
                + "<body>\n" + chrome.header(site) + chrome.breadcrumb("国务院文件") + main
                + chrome.share_and_close() + chrome.footer(site) + "</body></html>\n")


FAMILY = Govcn()
