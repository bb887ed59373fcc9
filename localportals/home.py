"""A portal's home page: what an operator pastes into ``eduwatch portals detect``.

Real county sites lead from ``/`` to their 政府信息公开 catalogue and their columns through
ordinary links among many others (news, services, the footer's neighbours); this page does the
same for every family, so detection can be tested from a home page as well as from a column.
"""

from __future__ import annotations

from localportals.chrome import esc, footer, head
from localportals.model import Site
from localportals.pipeline import Request, Response

NOISE = (("/xwzx/index.html", "新闻中心"), ("/zwfw/index.html", "政务服务"), ("/hdjl/index.html", "互动交流"),
         ("/zjbd/index.html", "走进本地"))
COLUMN_NAMES = {"gkmlpt": "政府信息公开", "hanweb": "政府信息公开", "trs": "教育政策文件", "govcn": "最新政策",
                "generic": "政府文件"}


def route(site: Site, request: Request) -> Response | None:
    """The home page at the site's root (``{prefix}/`` or ``{prefix}/index.html``), else None."""
    if request.path not in (f"{site.prefix}/", f"{site.prefix}/index.html") or not site.options.get("home", True):
        return None
    return Response(200, page(site))


def page(site: Site) -> str:
    links = [f'<li><a href="{path}">{name}</a></li>' for path, name in NOISE[:2]]
    links += [f'<li><a href="{esc(target)}">{name}</a></li>' for target, name in _columns(site)]
    links += [f'<li><a href="{path}">{name}</a></li>' for path, name in NOISE[2:]]
    return (
        "<!DOCTYPE html>\n<html>\n" + head(site, site.title, "首页")
        + f"<body>\n<div class=\"header\"><h1>{esc(site.title)}</h1></div>\n"
        + '<ul class="nav">' + "".join(links) + "</ul>\n"
        + '<div class="news"><a href="/xwzx/2024/notice.html">今日要闻</a></div>\n'
        + footer(site) + "</body>\n</html>\n"
    )


def _columns(site: Site) -> list[tuple[str, str]]:
    name = COLUMN_NAMES.get(site.family_name, "政策文件")
    if site.family_name == "gkmlpt":
        return [(f"{site.prefix}/gkmlpt/index", name)]
    return [(url, name) for url in site.list_urls() if not url.endswith(".json")]
