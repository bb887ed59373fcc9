"""TRS WCM: static list pages with createPageHTML paging and relative dated detail links.

URLs (``L`` = ``options['list_path']``, e.g. ``/zwgk/xxgk/jyj/gkml/gwfg``; ``X`` = ``options['ext']``):
  ``L/index.X``, ``L/index_1.X`` … ``L/index_{n-1}.X``   list pages; ``createPageHTML(n, i, "index", "X")``
  ``L/YYYYMM/tYYYYMMDD_{id}.X``                           detail (linked as ``./YYYYMM/tYYYYMMDD_{id}.X``)
  ``L/YYYYMM/P0{YYYYMMDD}{6 digits}.pdf|docx``            attachments beside the article
Metadata is a ``<li><span>label：</span><span>value</span></li>`` list on documents with even ids
(or ``flags['li_labels']``) and a table on the others (or ``flags['table_labels']``).

Variants seen on real sites (all off by default):
  ``options['pager']``       ``"countPage"``: lists print ``var countPage = n`` instead of createPageHTML
  ``options['list_ext']``    list pages end in this (``html``) while details keep ``options['ext']``
  ``options['stub_pages']``  n: the pager claims n more pages than there are; those deep pages are
                             tiny stubs listing only the pinned (newest) document
  ``doc.flags['pages']``     n: a multi-page article — ``t…_{id}.X``, ``t…_{id}_1.X`` … ``_{n-1}.X``,
                             its paragraphs split across them, each page with the article pager
"""

from __future__ import annotations

import re
from dataclasses import replace

from localportals import chrome
from localportals.chrome import esc
from localportals.model import Attachment, Doc, Site
from localportals.pipeline import Request, Response


def _stem(doc: Doc) -> str:
    d = doc.published_date
    return f"{d:%Y%m}/t{d:%Y%m%d}_{doc.id}"


def attachment_file(doc: Doc, att: Attachment) -> str:
    return f"{doc.published_date:%Y%m}/P0{doc.published_date:%Y%m%d}{att.id % 1000000:06d}.{att.type}"


class Trs:
    name = "trs"

    def default_options(self) -> dict[str, object]:
        return {"list_path": "/zwgk/xxgk/jyj/gkml/gwfg", "ext": "shtml", "column": "公文法规"}

    def _root(self, site: Site) -> str:
        return site.prefix + str(site.options["list_path"]).rstrip("/")

    def detail_path(self, site: Site, doc: Doc) -> str:
        return f"{self._root(site)}/{_stem(doc)}.{site.options['ext']}"

    def list_paths(self, site: Site) -> list[str]:
        return [f"{self._root(site)}/index.{self._list_ext(site)}"]

    def _list_ext(self, site: Site) -> str:
        return str(site.options.get("list_ext") or site.options["ext"])

    def parts(self, doc: Doc) -> list[str]:
        """The article's body split over its pages (one part unless ``flags['pages']``)."""
        n = int(doc.flags.get("pages") or 1)  # type: ignore[call-overload]
        lines = [line for line in doc.body.split("\n") if line.strip()]
        if n <= 1 or len(lines) < n:
            return [doc.body]
        size = (len(lines) + n - 1) // n
        return ["\n".join(lines[i * size:(i + 1) * size]) for i in range(n)]

    def detail_pattern(self, site: Site) -> str | None:
        return r"/\d{6}/t\d{8}_\d+\.s?html$"

    def route(self, site: Site, request: Request) -> Response | None:
        path, root, ext = request.path, self._root(site), str(site.options["ext"])
        list_ext = self._list_ext(site)
        if not path.startswith(root + "/"):
            return None
        rest = path[len(root) + 1:]
        if rest in ("", f"index.{list_ext}"):
            return self.list_page(site, 0)
        if m := re.fullmatch(rf"index_(\d+)\.{list_ext}", rest):
            return self.list_page(site, int(m.group(1)))
        if m := re.fullmatch(rf"(\d{{6}})/t(\d{{8}})_(\d+)(?:_(\d+))?\.{ext}", rest):
            doc = site.doc(int(m.group(3)))
            if doc is None or f"{m.group(1)}/t{m.group(2)}_{m.group(3)}" != _stem(doc):
                return None
            page = int(m.group(4) or 0)
            if m.group(4) is not None and not 1 <= page < len(self.parts(doc)):
                return None
            return Response(200, self.detail_page(site, doc, page), cacheable=True, last_modified=doc.modified,
                            truncatable=True, doc_id=doc.id)
        for doc in site.docs:
            for att in doc.attachments:
                if rest == attachment_file(doc, att):
                    return Response(200, att.data(), att.mime)
        return None

    def list_page(self, site: Site, index: int) -> Response | None:
        docs = site.listed()
        size = site.page_size
        real = max((len(docs) + size - 1) // size, 1)
        count = real + int(site.options.get("stub_pages") or 0)  # type: ignore[call-overload]
        if index >= count:
            return None
        ext, list_ext = site.options["ext"], self._list_ext(site)
        shown = docs[index * size: (index + 1) * size] if index < real else docs[:1]  # a stub: the pinned one
        items = "\n".join(
            f'<li><a href="./{_stem(d)}.{ext}" target="_blank" title="{esc(d.title)}">{esc(d.title)}</a>'
            f'<span class="date">{d.shown_date.isoformat()}</span></li>'
            for d in shown
        )
        if site.options.get("pager") == "countPage":
            pager = f"<script>var countPage = {count}//共多少页\nvar currentPage = {index}//当前页</script>"
        else:
            pager = f'<script>createPageHTML({count}, {index}, "index", "{list_ext}")</script>'
        column = str(site.options["column"])
        page = (
            "<!DOCTYPE html>\n<html>\n" + chrome.head(site, f"{column}-{site.title}", column) + "<body>\n"
            + chrome.header(site) + chrome.breadcrumb(column)
            + f'<div class="list-box"><h3>{esc(column)}</h3>\n<ul class="list">\n{items}\n</ul>\n'
            f'<div class="page">{pager}</div></div>\n'
            + chrome.footer(site) + "</body></html>\n"
        )
        return Response(200, page, cacheable=True)

    def metadata(self, doc: Doc) -> str:
        fields = [("索引号", doc.index_no), ("发布机构", doc.publisher), ("主题分类", doc.category),
                  ("成文日期", doc.written_date.strftime("%Y年%m月%d日") if doc.written_date else ""),
                  ("发文字号", doc.doc_no), ("发布日期", doc.published_date.strftime("%Y年%m月%d日")),
                  ("标题", doc.title)]
        if doc.validity:
            fields.append(("有效性", doc.validity))
        use_li = doc.flags.get("li_labels") or (doc.id % 2 == 0 and not doc.flags.get("table_labels"))
        if use_li:
            items = "\n".join(f"<li><span>{k}：</span><span>{esc(v)}</span></li>" for k, v in fields)
            return f'<div class="xxgk-info"><ul>\n{items}\n</ul></div>\n'
        rows = "".join(f"<tr><th>{k}:</th><td>{esc(v)}</td></tr>\n" for k, v in fields)
        return f'<table class="xxgk-table" border="1">\n{rows}</table>\n'

    def detail_page(self, site: Site, doc: Doc, page: int = 0) -> str:
        column = str(site.options["column"])
        parts = self.parts(doc)
        pager = ""
        if len(parts) > 1:
            name = _stem(doc).split("/", 1)[1]
            pager = (f'<div class="article-pager"><script>createPageHTML({len(parts)}, {page}, "{name}", '
                     f'"{site.options["ext"]}")</script></div>\n')
            doc = replace(doc, body=parts[page])
        links = "".join(
            f'<p><a href="./P0{doc.published_date:%Y%m%d}{a.id % 1000000:06d}.{a.type}" oldsrc="W0{doc.published_date:%Y%m%d}{a.id % 1000000:06d}.{a.type}">'
            f"{esc(a.name)}</a></p>\n" for a in doc.attachments
        )
        return (
            "<!DOCTYPE html>\n<html>\n" + chrome.head(site, f"{doc.title}-{site.title}", column, doc) + "<body>\n"
            + chrome.header(site) + chrome.breadcrumb(column) + self.metadata(doc)
            + f'<div class="article"><h2 class="article-title">{esc(doc.title)}</h2>\n'
            f'<div class="article-info">来源：{esc(str(doc.flags.get("source") or doc.publisher))}　'
            f'发布时间：{doc.published_date.isoformat()} {doc.published_time[:5]}</div>\n'
            + chrome.tools(chrome.views_text(site, doc))
            + f'<div class="TRS_Editor"><div class="Custom_UnionStyle">\n{chrome.body_html(doc)}\n</div></div>\n'
            + pager
            + (f'<div class="appendix">附件：\n{links}</div>\n' if links else "")
            + "</div>\n" + chrome.share_and_close() + chrome.footer(site) + "</body></html>\n"
        )


FAMILY = Trs()
