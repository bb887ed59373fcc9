from pathlib import Path

import pytest

from crawler.extract import parse_html
from crawler.extract.labels import PageMetadata, extract_metadata

SAMPLES = Path("/work/shared/samples")


def sample(name: str) -> str:
    return (SAMPLES / name).read_text("utf-8")


def test_govcn_2018_fragment_every_field():
    meta = extract_metadata(sample("govcn_zhengce_content_2018_fragment.html"))
    assert meta.index_no == "000014349/2018-00222"
    assert meta.category == "卫生、体育\\\\医药管理"  # the sample's SQL dump doubled the backslash
    assert meta.publisher == "国务院"
    assert meta.written_date == "2018年12月21日"
    assert meta.title == "国务院关于在海南博鳌乐城国际医疗旅游先行区暂时调整实施《中华人民共和国药品管理法实施条例》有关规定的决定"
    assert meta.doc_no == "国发〔2018〕43号"
    assert meta.published_date == "2018年12月29日"
    assert meta.keywords is None  # 主 题 词： with empty cells
    assert meta.validity is None


def test_govcn_2004_fragment_keywords_padded_with_ideographic_spaces():
    meta = extract_metadata(sample("govcn_zhengce_content_2004doc_fragment.html"))
    assert meta.index_no == "000014349/2004-00209"
    assert meta.category == "其他"
    assert meta.publisher == "国务院办公厅"
    assert meta.written_date == "2004年08月12日"
    assert meta.title == "国务院办公厅关于辽宁省在曾培炎副总理考察工作时所提问题和建议办理情况的函"
    assert meta.doc_no == "国办函〔2004〕57号"
    assert meta.published_date == "2018年12月24日"
    assert meta.keywords == "经济管理 考察 措施 函"


def test_gkmlpt_reconstructed_detail_every_field():
    meta = extract_metadata(sample("reconstructed/gkmlpt_content_detail_RECONSTRUCTED.html"))
    assert meta == PageMetadata(
        index_no="114452240070359782/2023-00093",
        category="教育",
        publisher="惠来县人民政府办公室",
        written_date="2023-12-20",
        title="惠来县人民政府办公室关于印发惠来县“百县千镇万村高质量发展工程”教育行动方案的通知",
        doc_no="惠府办函〔2023〕260号",
        published_date="2023-12-25",
        keywords=None,
        validity=None,
        meta={},
    )


def test_meta_fallbacks_from_real_trs_head():
    meta = extract_metadata(sample("trs_nmpa_detail_head_with_ruishu_REAL_excerpt.html"))
    assert meta.title == "2020年09月11日药品批准证明文件待领取信息发布"
    assert meta.published_date == "2020-09-11 08:38"
    assert meta.publisher == "国家药品监督管理局"
    assert meta.index_no is None and meta.doc_no is None
    assert meta.meta["SiteName"] == "国家药品监督管理局"
    assert meta.meta["SiteDomain"] == "www.nmpa.gov.cn"
    assert meta.meta["ColumnName"] == "药品批件发布"


def test_labels_win_over_meta_and_firstpublishedtime_fallback():
    html = (
        '<html><head><meta name="ArticleTitle" content="网页标题"><meta name="firstpublishedtime" content="2023-11-10-09:00:00">'
        '<meta name="ContentSource" content="来源单位"></head><body><table><tr><td>标题：</td><td>真正的标题</td></tr></table></body></html>'
    )
    meta = extract_metadata(html)
    assert meta.title == "真正的标题"
    assert meta.published_date == "2023-11-10-09:00:00"
    assert meta.publisher == "来源单位"
    assert meta.meta["firstpublishedtime"] == "2023-11-10-09:00:00"


def test_inline_text_lines_as_in_seed_001():
    html = """<html><body><div class="xxgk-head">
    <p>索引号: 114452240070359782/2023-00093 分类: 科技、教育、通知</p>
    <p>发布机构: 惠来县人民政府办公室 成文日期: 2023-10-12</p>
    <p>名称: 惠来县人民政府办公室关于印发惠来县“百县千镇万村高质量发展工程”教育行动方案(2023-2027年)的通知</p>
    <p>文号: 惠府办函〔2023〕260号 发布日期: 2023-11-10</p>
    <p>主题词:</p>
    <p>【打印】 【字体: 大 中 小】</p></div>
    <div class="article-content"><p>惠府办函〔2023〕260号</p><p>发布日期:2023-11-10 浏览次数:-</p></div></body></html>"""
    meta = extract_metadata(html)
    assert meta.index_no == "114452240070359782/2023-00093"
    assert meta.category == "科技、教育、通知"
    assert meta.publisher == "惠来县人民政府办公室"
    assert meta.written_date == "2023-10-12"
    assert meta.title == "惠来县人民政府办公室关于印发惠来县“百县千镇万村高质量发展工程”教育行动方案(2023-2027年)的通知"
    assert meta.doc_no == "惠府办函〔2023〕260号"
    assert meta.published_date == "2023-11-10"
    assert meta.keywords is None  # the next line is the print widget, not a value


@pytest.mark.parametrize(
    "label",
    ["文号：", "文号:", "文 号：", "文　　号：", " 文号 ： ", "发文字号：", "发 文 字 号:"],
)
def test_label_padding_and_colon_variants(label):
    html = f"<table><tr><td>{label}</td><td> 龙教〔2022〕12号 </td></tr></table>"
    assert extract_metadata(html).doc_no == "龙教〔2022〕12号"


def test_label_cell_without_colon_and_bold_and_th():
    html = "<table><tr><th>索引号</th><td>2026-02-00018</td><td><b>有效性</b></td><td><b>有效</b></td></tr></table>"
    meta = extract_metadata(html)
    assert meta.index_no == "2026-02-00018"
    assert meta.validity == "有效"


def test_trs_li_span_layout():
    html = """<ul class="xxgk">
      <li><span>索 引 号：</span><span>1137020000402/2022-00315</span></li>
      <li><span>信息分类：</span><span>教育</span></li>
      <li><span>所属机构：</span><span>青岛市教育局</span></li>
      <li><span>发文日期：</span><span>2022年04月17日</span></li>
      <li><span>标　　题：</span><span>关于印发《实施乡村教育支持行动工作方案(2020-2022)》的通知</span></li>
      <li><span>文　　号：</span><span>青教通字〔2020〕38号</span></li>
      <li><span>公开日期：</span><span></span></li>
      <li><span>关 键 词：</span><span>乡村教育</span></li>
      <li><span>有 效 性：</span><span>有效</span></li>
    </ul>"""
    meta = extract_metadata(html)
    assert meta.index_no == "1137020000402/2022-00315"
    assert meta.category == "教育"
    assert meta.publisher == "青岛市教育局"
    assert meta.written_date == "2022年04月17日"
    assert meta.title == "关于印发《实施乡村教育支持行动工作方案(2020-2022)》的通知"
    assert meta.doc_no == "青教通字〔2020〕38号"
    assert meta.published_date is None  # empty span must not swallow the next label
    assert meta.keywords == "乡村教育"
    assert meta.validity == "有效"


def test_dl_and_div_pairs():
    html = """<div class="info">
      <dl><dt>发文单位：</dt><dd>桓台县人民政府办公室</dd></dl>
      <div class="row"><div class="k">成文日期：</div><div class="v">2023年9月18日</div></div>
      <div class="row"><div class="k">发文字号：</div><div class="v">桓政办字〔2023〕18号</div></div>
      <div class="row"><div class="k">主题分类：</div><div class="v"></div></div>
      <div class="row"><div class="k">有效性：</div><div class="v">有效</div></div>
    </div>"""
    meta = extract_metadata(html)
    assert meta.publisher == "桓台县人民政府办公室"
    assert meta.written_date == "2023年9月18日"
    assert meta.doc_no == "桓政办字〔2023〕18号"
    assert meta.category is None
    assert meta.validity == "有效"


def test_several_pairs_per_row_and_colspan():
    html = """<table class="xxgk_table"><tbody>
      <tr><td class="t">索引号：</td><td>11371000004363470X/2023-01234</td><td class="t">发布机构：</td><td>定西市教育局</td></tr>
      <tr><td class="t">标题：</td><td colspan="3">定西市教育局关于做好2023年农村义务教育学校布局调整工作的通知</td></tr>
      <tr><td class="t">文号：</td><td>无</td><td class="t">发布日期：</td><td>2023-05-06</td></tr></tbody></table>"""
    meta = extract_metadata(html)
    assert meta.index_no == "11371000004363470X/2023-01234"
    assert meta.publisher == "定西市教育局"
    assert meta.title == "定西市教育局关于做好2023年农村义务教育学校布局调整工作的通知"
    assert meta.doc_no == "无"  # raw as printed; normalize_doc_no turns it into None
    assert meta.published_date == "2023-05-06"


def test_body_labels_are_ignored():
    html = """<html><body>
      <table><tr><td>索引号：</td><td>A/2023-1</td></tr></table>
      <div id="zoom"><p>文号：粤办函〔2023〕231号</p><p>成文日期：2023-01-01</p></div>
      <div class="TRS_Editor"><p>发布机构：别的单位</p></div>
      <td id="UCAP-CONTENT"><p>标题：正文里的标题</p></td>
    </body></html>"""
    meta = extract_metadata(html)
    assert meta.index_no == "A/2023-1"
    assert meta.doc_no is None and meta.written_date is None and meta.publisher is None and meta.title is None


def test_hanweb_marker_region_is_body():
    html = """<html><body><table class="xxgk_table"><tr><td>索引号：</td><td>013360960/2022-01107</td>
      <td>文号：</td><td>定教发〔2022〕5号</td></tr></table>
      <div id="zoom"><!--<$[信息内容]>begin--><p>文号：甘教发〔2021〕9号</p><!--<$[信息内容]>end--></div>
      </body></html>"""
    meta = extract_metadata(html)
    assert meta.doc_no == "定教发〔2022〕5号"
    assert meta.index_no == "013360960/2022-01107"


def test_first_value_wins_and_running_text_is_not_a_label():
    html = """<div><p>标题党不是标签</p><p>标题：第一个</p><p>标题：第二个</p></div>"""
    assert extract_metadata(html).title == "第一个"


def test_accepts_a_pre_parsed_tree_and_broken_input():
    tree = parse_html("<table><tr><td>索引号：</td><td>X/1</td></tr></table>")
    assert extract_metadata(tree).index_no == "X/1"
    assert extract_metadata("") == PageMetadata()
    assert extract_metadata("<<<>>>").index_no is None


def test_nbsp_padding_and_fullwidth_colon_in_bold_label_with_inline_value():
    html = "<div><p><b>索&nbsp;引&nbsp;号：</b>&nbsp;000014349/2018-00222&nbsp;</p><p><strong>成文日期</strong>：2018年12月21日</p></div>"
    meta = extract_metadata(html)
    assert meta.index_no == "000014349/2018-00222"
    assert meta.written_date == "2018年12月21日"


def test_gbk_page_labels_after_decoding():
    from crawler.decoding import decode_page

    html = '<html><head><meta charset="gb2312"></head><body><table><tr><td>发布机构：</td><td>桓台县教育和体育局</td></tr></table></body></html>'
    meta = extract_metadata(decode_page(html.encode("gbk")).text)
    assert meta.publisher == "桓台县教育和体育局"
