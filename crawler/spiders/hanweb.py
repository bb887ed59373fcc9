"""Hanweb 大汉 jcms / jpaas: column pages whose links hide in an XML datastore.

The column page ``/col/col{id}/index.html`` embeds its first group of records (perPage × 3)
as CDATA inside ``<script type="text/xml"><datastore>``: an HTML parser sees no links until
the CDATA is unwrapped. Anchor text is cut with ``...``, so the title comes from the
``title`` attribute. Further groups come from ``dataproxy.jsp`` (POST form with the
column's webid/columnid/unitid/webname, taken from the page's jpage script or nextgroup);
each answer is one more "list page" for the incremental walk. Older installs answer at
``/module/jslib/jquery/jpage/dataproxy.jsp`` (tried after a 404 when the page names no
proxyUrl); where the POST is refused (405) or ignored (an empty datastore although the column
lists more), ``GET dataproxy.jsp?page=N&…`` with the same parameters takes over. Detail pages ``/art/…`` carry
a ``table.xxgk_table`` label table and the body in ``#zoom`` between the 信息内容 markers.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response

from crawler.spiders.base import PortalSpider
from crawler.spiders.listing import list_links
from crawler.spiders.records import BrokenPage
from storage.records import ListEntry

_DATASTORE = re.compile(r"<datastore\b.*?</datastore\s*>", re.IGNORECASE | re.DOTALL)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_RECORD = re.compile(r"<record\b[^>]*>(.*?)</record\s*>", re.IGNORECASE | re.DOTALL)
_NEXTGROUP = re.compile(r"<nextgroup\b[^>]*>(.*?)</nextgroup\s*>", re.IGNORECASE | re.DOTALL)
_TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.IGNORECASE)
_AJAX_PARAM = re.compile(r"ajaxParam\s*:\s*\{(.*?)\}", re.DOTALL)
_JS_PAIR = re.compile(r"""(\w+)\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,}\s]+))""")
_PER_PAGE = re.compile(r"perPage\s*:\s*['\"]?(\d+)")
_TOTAL_JS = re.compile(r"totalRecord\s*:\s*['\"]?(\d+)")
_PROXY_URL = re.compile(r"""proxyUrl\s*:\s*['"]([^'"]+)['"]""")
_COLUMN_IN_URL = re.compile(r"/col/col(\d+)/")
DETAIL_PATTERN = r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$"
DEFAULT_PROXY = "/module/web/jpage/dataproxy.jsp"
OLD_PROXY = "/module/jslib/jquery/jpage/dataproxy.jsp"  # older jcms installs
NEXTGROUP_PATH = "__path__"  # unwrap_datastore's key for the path of nextgroup's href
GROUP_PAGES = 3  # one dataproxy answer holds three pages of perPage records


def unwrap_datastore(text: str) -> tuple[str, dict[str, str], int | None]:
    """(HTML of the records, params from nextgroup, totalrecord) of a datastore in ``text``."""
    match = _DATASTORE.search(text)
    if not match:
        return "", {}, None
    store = match.group(0)
    records = _RECORD.findall(store)
    html = "\n".join(_unwrap(record) for record in records)
    params: dict[str, str] = {}
    nextgroup = _NEXTGROUP.search(store)
    if nextgroup:
        href = re.search(r"""href\s*=\s*['"]([^'"]+)['"]""", _unwrap(nextgroup.group(1)))
        if href:
            link = urlsplit(href.group(1).replace("&amp;", "&"))
            params = dict(parse_qsl(link.query))
            if link.path:
                params[NEXTGROUP_PATH] = link.path
    total = _TOTAL.search(store)
    return html, params, int(total.group(1)) if total else None


def _unwrap(fragment: str) -> str:
    cdata = _CDATA.findall(fragment)
    return "".join(cdata) if cdata else fragment


def jpage_config(text: str) -> tuple[dict[str, str], int | None, int | None, str | None]:
    """ajaxParam pairs, perPage, totalRecord and proxyUrl of the column page's jpage script."""
    params: dict[str, str] = {}
    match = _AJAX_PARAM.search(text)
    if match:
        for key, single, double, bare in _JS_PAIR.findall(match.group(1)):
            params[key] = single or double or bare
    per_page = _PER_PAGE.search(text)
    total = _TOTAL_JS.search(text)
    proxy = _PROXY_URL.search(text)
    return (params, int(per_page.group(1)) if per_page else None, int(total.group(1)) if total else None,
            proxy.group(1) if proxy else None)


class HanwebSpider(PortalSpider):
    name = "hanweb"
    platform = "hanweb"
    body_selectors = ("#zoom",)

    @property
    def detail_pattern(self) -> str:
        return self.portal_config.detail_pattern or DETAIL_PATTERN

    def list_starts(self) -> Iterable[Request]:
        for url in self.portal_config.list_urls:
            yield self.list_request(url, self.parse_column, list_key=url, cb_kwargs={"list_key": url})

    def parse_column(self, response: Response, list_key: str) -> Iterator[Request]:
        try:
            text = self.list_text(response)
        except BrokenPage as exc:
            self.broken_list(response, exc)
            return
        records, next_params, total = unwrap_datastore(text)
        ajax, per_page, total_js, proxy = jpage_config(text)
        entries = self._entries(records or text, response.url)
        requests, fresh = self.take_entries(entries, list_key)
        yield from requests
        total = total if total is not None else total_js
        per_page = per_page or int(next_params.get("perpage") or 15)
        shown = len(entries)
        if not entries or total is None or shown >= total:
            self.list_ended(list_key)
            return
        if not fresh or self.max_list_pages < 2:  # the column page is group 1 of the walk
            return
        form = self._form(ajax, next_params, response.url)
        if not form.get("columnid") or not form.get("unitid"):
            self.record_error(response.url, "hanweb column page names no columnid/unitid for dataproxy.jsp")
            return
        named = proxy or next_params.get(NEXTGROUP_PATH)
        paths = (named,) if named else (DEFAULT_PROXY, OLD_PROXY)  # unnamed: modern path, then the older one
        yield self.group_request(urljoin(response.url, paths[0]), form, start=per_page * GROUP_PAGES + 1,
                                 per_page=per_page, total=total, list_key=list_key, group=2,
                                 other_paths=tuple(urljoin(response.url, p) for p in paths[1:]))

    def _form(self, ajax: dict[str, str], next_params: dict[str, str], url: str) -> dict[str, str]:
        column = _COLUMN_IN_URL.search(url)
        form = {"col": "1", "appid": "1", "webid": "", "path": "/", "columnid": column.group(1) if column else "",
                "unitid": "", "webname": "", "permissiontype": "0"}
        for source in (next_params, ajax):
            for key in ("col", "appid", "webid", "path", "columnid", "unitid", "webname", "permissiontype"):
                if source.get(key):
                    form[key] = source[key]
        return form

    def group_request(self, proxy_url: str, form: dict[str, str], *, start: int, per_page: int, total: int,
                      list_key: str, group: int, method: str = "POST", other_paths: tuple[str, ...] = ()) -> Request:
        """One dataproxy.jsp answer: POST ``startrecord…endrecord`` with the form (three pages),
        or — where the POST is refused (405) or ignored (empty datastore) — ``GET ?page=N&…``."""
        end = start + per_page * GROUP_PAGES - 1
        cb_kwargs = {"proxy_url": proxy_url, "form": form, "start": start, "per_page": per_page, "total": total,
                     "list_key": list_key, "group": group, "method": method, "other_paths": other_paths}
        if method == "GET":
            query = urlencode({"page": (start - 1) // per_page + 1, "perpage": per_page, **form})
            request = self.list_request(f"{proxy_url}?{query}", self.parse_group, list_key=list_key,
                                        cb_kwargs=cb_kwargs)
        else:
            query = urlencode({"startrecord": start, "endrecord": end, "perpage": per_page})
            request = self.list_request(
                f"{proxy_url}?{query}",
                self.parse_group,
                list_key=list_key,
                method="POST",
                body=urlencode(form),
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
                cb_kwargs=cb_kwargs,
            )
        request.meta["handle_httpstatus_list"] = [404, 405]  # the answers that call for another way in
        return request

    def parse_group(self, response: Response, proxy_url: str, form: dict[str, str], start: int, per_page: int,
                    total: int, list_key: str, group: int, method: str = "POST",
                    other_paths: tuple[str, ...] = ()) -> Iterator[Request]:
        again = {"form": form, "start": start, "per_page": per_page, "total": total, "list_key": list_key,
                 "group": group}
        if response.status == 404 and other_paths:  # an older install: /module/jslib/jquery/jpage/
            yield self.group_request(other_paths[0], method=method, other_paths=other_paths[1:], **again)
            return
        if response.status == 405 and method == "POST":
            yield self.group_request(proxy_url, method="GET", **again)
            return
        if response.status in (404, 405):
            self.broken_list(response, BrokenPage(f"dataproxy.jsp answered HTTP {response.status}"))
            return
        try:
            text = self.list_text(response, expect="xml")
        except BrokenPage as exc:
            self.broken_list(response, exc)
            return
        if not _DATASTORE.search(text):
            self.broken_list(response, BrokenPage("dataproxy answer has no <datastore> (truncated?)"))
            return
        records, _params, group_total = unwrap_datastore(text)
        entries = self._entries(records, response.url)
        if not entries and not group_total and start <= total:
            # The column says there is more, the proxy says nothing at all: it ignored the form.
            if method == "POST":
                yield self.group_request(proxy_url, method="GET", **again)
            else:
                self.broken_list(response, BrokenPage(
                    f"dataproxy.jsp answers an empty datastore (POST and GET) though the column lists {total}"))
            return
        total = group_total if group_total else total
        requests, fresh = self.take_entries(entries, list_key)
        yield from requests
        # A POST answers startrecord…endrecord; a GET answers page N (one page, or a group on some installs).
        end = start + per_page * GROUP_PAGES - 1 if method == "POST" else start + max(len(entries), per_page) - 1
        if not entries or end >= total:
            self.list_ended(list_key)
        elif fresh and group < self.max_list_pages:
            yield self.group_request(proxy_url, form, start=end + 1, per_page=per_page, total=total,
                                     list_key=list_key, group=group + 1, method=method)

    def _entries(self, html: str, base_url: str) -> list[ListEntry]:
        return list_links(f"<html><body><ul>{html}</ul></body></html>", base_url, self.detail_pattern)

    def list_text(self, response: Response, *, expect: str = "html") -> str:
        if expect == "xml":
            return super().list_text(response, expect="any")
        return super().list_text(response, expect=expect)
