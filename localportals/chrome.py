"""Page chrome every 政府网站 carries around the content: head metas, nav, footer, widgets.

Extractors must learn to ignore all of this, so it is deliberately wordy and sits both before
and after the document body, as on real portals.
"""

from __future__ import annotations

import html

from localportals.model import Doc, Site

NAV_ITEMS = ("首页", "政务公开", "政务服务", "互动交流", "走进本地", "专题专栏")


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def charset_meta(site: Site) -> str:
    if site.encoding in ("gbk", "gb2312", "gb18030"):
        return '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    return '<meta charset="utf-8">'


def head(site: Site, title: str, column: str, doc: Doc | None = None, extra: str = "") -> str:
    """<head> with the standard 政府网站 meta set (detail pages add ArticleTitle/PubDate/ContentSource)."""
    metas = [
        charset_meta(site),
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">',
        f'<meta name="SiteName" content="{esc(site.title)}">',
        f'<meta name="SiteDomain" content="{esc(site.site_domain)}">',
        f'<meta name="SiteIDCode" content="{esc(site.site_id_code)}">',
        f'<meta name="ColumnName" content="{esc(column)}">',
        f'<meta name="ColumnType" content="{esc(column)}">',
    ]
    if doc is not None:
        metas += [
            f'<meta name="ArticleTitle" content="{esc(doc.title)}">',
            f'<meta name="PubDate" content="{doc.published_date.isoformat()} {doc.published_time[:5]}">',
            f'<meta name="ContentSource" content="{esc(str(doc.flags.get("source") or doc.publisher or site.title))}">',
        ]
        if doc.keywords:
            metas.append(f'<meta name="Keywords" content="{esc(doc.keywords)}">')
    return (
        "<head>\n" + "\n".join(metas) + f"\n<title>{esc(title)}</title>\n"
        '<link rel="stylesheet" href="/images/common.css">\n'
        '<script src="/module/js/jquery.min.js"></script>\n' + extra + "</head>\n"
    )


def header(site: Site) -> str:
    nav = "".join(f'<li><a href="/col/nav{i}/index.html">{name}</a></li>' for i, name in enumerate(NAV_ITEMS))
    return (
        '<div class="top-bar"><span class="fl">今天是：<span id="today"></span></span>'
        '<span class="fr"><a href="javascript:;" id="wza">无障碍</a> | <a href="javascript:;">长者助手</a> | '
        '<a href="javascript:;">简体</a>/<a href="javascript:;">繁体</a> | <a href="/mobile/">手机版</a></span></div>\n'
        f'<div class="header"><div class="logo"><a href="/"><img src="/images/logo.png" alt="{esc(site.title)}"></a>'
        f'<h2>{esc(site.title)}</h2></div>'
        '<form class="search" action="/jsearchfront/search.do" method="get"><input name="q" placeholder="请输入关键字">'
        '<button type="submit">搜索</button></form></div>\n'
        f'<div class="nav"><ul>{nav}</ul></div>\n'
    )


def breadcrumb(column: str) -> str:
    return (f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="#">政务公开</a> &gt; '
            f'<span>{esc(column)}</span></div>\n')


def tools(views: str) -> str:
    """The row under a title: views counter, font size, print/close, share."""
    return (
        f'<div class="article-tools"><span class="views">浏览次数：<span id="views">{views}</span></span> '
        '<span class="font">【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
        '<a href="javascript:doZoom(14)">小</a>】</span></div>\n'
    )


def share_and_close() -> str:
    return (
        '<div class="share bdsharebuttonbox">分享到：<a class="bds_weixin" data-cmd="weixin" title="分享到微信">微信</a>'
        '<a class="bds_tsina" data-cmd="tsina" title="分享到新浪微博">微博</a>'
        '<a class="bds_qzone" data-cmd="qzone" title="分享到QQ空间">QQ空间</a></div>\n'
        '<div class="print-close"><a href="javascript:window.print()">【打印】</a> '
        '<a href="javascript:window.close()">【关闭】</a></div>\n'
    )


def footer(site: Site) -> str:
    return (
        '<div class="links">相关链接：<a href="http://www.gov.cn/">中国政府网</a> '
        '<a href="/col/col1/index.html">省政府</a> <a href="/col/col2/index.html">市政府</a></div>\n'
        f'<div class="footer"><p>主办单位：{esc(site.title)}　承办单位：{esc(site.title)}办公室</p>'
        f'<p>网站标识码：{esc(site.site_id_code)}　<a href="https://beian.miit.gov.cn/">ICP备05012345号-1</a>　'
        '公网安备 37030302000123号</p><p>建议使用1280×800分辨率浏览　'
        '<a href="/sitemap.html">网站地图</a>　<a href="/lxwm.html">联系我们</a></p>'
        '<p><span id="_ideConac"><img src="/images/dzjg.png" alt="党政机关"></span>'
        '<span id="_span_jiucuo"><img src="/images/jiucuo.png" alt="政府网站找错"></span></p></div>\n'
        '<script>var _hmt=_hmt||[];</script>\n'
    )


def views_text(site: Site, doc: Doc) -> str:
    """Increment-on-request counter when the site enables it; a fixed '-' otherwise (real sites do both)."""
    if site.view_counter:
        doc.views += 1
        return str(doc.views)
    return "-"


def paragraphs(body: str, *, indent: bool = True) -> str:
    style = ' style="text-indent:2em;"' if indent else ""
    return "\n".join(f"<p{style}>{esc(line)}</p>" for line in body.split("\n") if line.strip())


def body_html(doc: Doc) -> str:
    """Body paragraphs, honouring attachment_only and the split-markup 文号 line of the 桓台 page."""
    if doc.flags.get("attachment_only"):
        return '<p style="text-indent:2em;">详见附件。</p>'
    out = []
    for line in doc.body.split("\n"):
        if not line.strip():
            continue
        if doc.flags.get("doc_no_split_markup") and doc.doc_no and line.strip() == doc.doc_no:
            out.append('<p style="text-align:center;">' + split_doc_no(doc.doc_no) + "</p>")
        else:
            out.append(f'<p style="text-indent:2em;">{esc(line)}</p>')
    return "\n".join(out)


def split_doc_no(doc_no: str) -> str:
    """桓政办字〔2023〕18号 -> 桓政办字〔<span>2023</span>〕<font>18</font>号 (glyphs split across tags)."""
    import re

    m = re.match(r"^(.*?〔)(\d{4})(〕)(\d+)(号)$", doc_no)
    if not m:
        return esc(doc_no)
    return (f'<span style="font-family:仿宋_GB2312">{esc(m.group(1))}</span><span>{m.group(2)}</span>'
            f'{m.group(3)}<font face="仿宋">{m.group(4)}</font>{m.group(5)}')
