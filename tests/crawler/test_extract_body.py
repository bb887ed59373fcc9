from pathlib import Path

from crawler.extract import parse_html
from crawler.extract.body import DEFAULT_BODY_SELECTORS, extract_body

SAMPLES = Path("/work/shared/samples")


def sample(name: str) -> str:
    return (SAMPLES / name).read_text("utf-8")


def test_split_inline_markup_keeps_every_glyph_on_one_line():
    html = '<div id="zoom"><p>桓政办字〔<span>2023</span>〕<font>18</font>号</p><p>各镇人民政府：</p></div>'
    assert extract_body(html) == "桓政办字〔2023〕18号\n各镇人民政府："


def test_govcn_2018_body_without_labels_and_furniture():
    body = extract_body(sample("govcn_zhengce_content_2018_fragment.html"))
    lines = body.split("\n")
    assert lines[0] == "国务院关于在海南博鳌乐城国际医疗旅游先行区"
    assert lines[3] == "国发〔2018〕43号"
    assert lines[-3:] == ["国务院", "2018年12月21日", "（此件公开发布）"]
    assert "索引号" not in body and "索 引 号" not in body
    assert "扫一扫" not in body
    assert all(line == line.strip() and line for line in lines)


def test_govcn_2004_br_breaks_lines_and_spans_do_not():
    body = extract_body(sample("govcn_zhengce_content_2004doc_fragment.html"))
    lines = body.split("\n")
    assert lines[:4] == ["国务院办公厅", "关于辽宁省在曾培炎副总理考察", "工作时所提问题和建议办理情况的函", "国办函〔2004〕57号"]
    assert "赴辽宁省出席振兴装备制造业座谈会（东北片），并考察了你省工业发展情况。" in body


def test_gkmlpt_article_content():
    body = extract_body(sample("reconstructed/gkmlpt_content_detail_RECONSTRUCTED.html"))
    assert body == "惠府办函〔2023〕260号\n各镇人民政府（街道办事处），县直有关单位：\n……\n附件：惠来县……教育行动方案.docx"


def test_hanweb_markers_win_over_selectors():
    html = """<html><body><div id="zoom"><div class="title">标题栏</div>
      <!--<$[信息内容]>begin--><p>为加快全县教育城乡一体化发展，</p><p>制定如下工作方案。</p><!--<$[信息内容]>end-->
      <div class="fx">分享到：微信 微博</div></div></body></html>"""
    assert extract_body(html) == "为加快全县教育城乡一体化发展，\n制定如下工作方案。"


def test_furniture_is_dropped():
    html = """<html><body><div class="TRS_Editor">
      <div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 通知公告</div>
      <p>发布日期：2023-11-10&nbsp;&nbsp;浏览次数：123</p>
      <p>【打印】【关闭】【字体：大 中 小】</p>
      <p>一、工作目标</p>
      <p>到2027年，城乡一体的教育资源配置机制全面建立。</p>
      <p>访问量：4567</p><p>阅读数: 89</p><p>点击数：10</p>
      <div class="bdsharebuttonbox"><a>微博</a><a>微信</a></div>
      <p>分享到：</p>
      <script>var x = "不要我";</script><style>p{}</style>
      <form><input value="搜索"></form>
      <p>【责任编辑：王五】</p>
      <p>责任编辑：张三</p>
    </div></body></html>"""
    assert extract_body(html) == "发布日期：2023-11-10\n一、工作目标\n到2027年，城乡一体的教育资源配置机制全面建立。"


def test_whitespace_collapsed_and_empty_lines_removed():
    html = "<div class='article-content'><p>\u3000\u3000现将《方案》  印发给你们，\n请认真执行。</p><p> </p><p>&nbsp;</p><br><br><p>特此通知。</p></div>"
    assert extract_body(html) == "现将《方案》 印发给你们， 请认真执行。\n特此通知。"


def test_first_selector_with_text_wins_and_empty_match_is_skipped():
    html = "<div class='article-content'>  </div><div class='view'><p>正文在这里。</p></div><div id='content'><p>更大的容器</p></div>"
    assert extract_body(html) == "正文在这里。"
    assert extract_body(html, selectors=("#content",)) == "更大的容器"


def test_fallback_to_the_densest_block():
    html = """<html><body><nav>首页 新闻 政务</nav><div class="menu"><a>链接一</a><a>链接二</a></div>
      <div class="main"><div class="text"><p>第一段很长的正文内容，讲述乡村教育振兴的目标和任务。</p>
      <p>第二段正文，继续说明具体措施和保障。</p></div></div>
      <footer>版权所有 某县人民政府</footer></body></html>"""
    assert extract_body(html, selectors=()) == (
        "第一段很长的正文内容，讲述乡村教育振兴的目标和任务。\n第二段正文，继续说明具体措施和保障。"
    )
    assert extract_body(html) == extract_body(html, selectors=())


def test_bad_selector_and_empty_page_do_not_crash():
    assert extract_body("<div id='zoom'><p>正文内容</p></div>", selectors=("[[bad", "#zoom")) == "正文内容"
    assert extract_body("") == ""
    assert extract_body(parse_html("<p>就一句话。</p>")) == "就一句话。"


def test_default_selectors_cover_every_family():
    for selector in (".article-content", "#zoom", ".TRS_Editor", ".trs_editor_view", ".TRS_UEDITOR", "#UCAP-CONTENT", ".pages_content", ".view", "#content", "article"):
        assert selector in DEFAULT_BODY_SELECTORS


def test_page_wrapped_in_one_aspnet_form_keeps_its_body():
    paragraph = "<p>为加快全县教育城乡一体化发展，优化教育资源配置，助力乡村振兴战略实施，制定如下工作方案。</p>"
    html = (
        "<html><body><form id='form1' method='post'><div class='nav'>首页</div>"
        "<form class='search'><input name='q'><span>站内搜索</span></form>"
        f"<div class='text'>{paragraph * 4}</div></form></body></html>"
    )
    body = extract_body(html, selectors=())
    assert body.split("\n") == ["为加快全县教育城乡一体化发展，优化教育资源配置，助力乡村振兴战略实施，制定如下工作方案。"] * 4
    assert extract_body(html, selectors=("#form1",)).endswith("制定如下工作方案。")
    assert "站内搜索" not in extract_body(html, selectors=("#form1",))
