import io
from pathlib import Path

import docx
import pypdf
import pytest

from crawler.extract import parse_html
from crawler.extract.attachments import (
    ATTACHMENT_TYPES,
    AttachmentError,
    AttachmentLink,
    attachment_text,
    find_attachments,
    is_attachment_only,
)

SAMPLES = Path("/work/shared/samples")
GKMLPT_URL = "http://www.huilai.gov.cn/gkmlpt/content/1/1000/post_1000001.html"


def minimal_pdf(*pages: str) -> bytes:
    """A valid PDF with one Helvetica text line per page, xref offsets computed exactly."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    font_id = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def make_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("桓台县推进乡村教育振兴工作方案")
    document.add_paragraph("一、工作目标")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "学校"
    table.cell(0, 1).text = "教师数"
    table.cell(1, 0).text = "起凤镇中学"
    table.cell(1, 1).text = "56"
    merged = document.add_table(rows=1, cols=2)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并单元格"
    document.add_paragraph("二、主要任务")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---- find_attachments -------------------------------------------------------------------------

def test_gkmlpt_nfw_cms_attachment():
    html = (SAMPLES / "reconstructed/gkmlpt_content_detail_RECONSTRUCTED.html").read_text("utf-8")
    assert find_attachments(html, GKMLPT_URL) == [
        AttachmentLink("惠来县……教育行动方案.docx", "http://www.huilai.gov.cn/attachment/1/1234/1234567/1000001.docx", "docx")
    ]


def test_gkmlpt_attachment_name_from_alt_when_no_text():
    html = '<a class="nfw-cms-attachment" href="/attachment/0/9/9876/1058889.xlsx" alt="意见汇总表.xlsx"></a>'
    assert find_attachments(html, "http://www.luhe.gov.cn/swlhjyj/gkmlpt/content/1/1058/post_1058889.html") == [
        AttachmentLink("意见汇总表.xlsx", "http://www.luhe.gov.cn/attachment/0/9/9876/1058889.xlsx", "xlsx")
    ]


def test_hanweb_downfile_type_from_filename_parameter():
    html = (
        '<a href="/module/download/downfile.jsp?classid=0&filename=2203241710301234.pdf">关于乡村教育的实施方案</a>'
        '<a href="/module/download/downfile.jsp?classid=0&amp;filename=abc.DOCX"><img src="doc.gif"></a>'
    )
    links = find_attachments(html, "http://www.dingxi.gov.cn/art/2022/3/24/art_1_2.html")
    assert links == [
        AttachmentLink("关于乡村教育的实施方案", "http://www.dingxi.gov.cn/module/download/downfile.jsp?classid=0&filename=2203241710301234.pdf", "pdf"),
        AttachmentLink("abc.DOCX", "http://www.dingxi.gov.cn/module/download/downfile.jsp?classid=0&filename=abc.DOCX", "docx"),
    ]


def test_trs_relative_links_dedup_order_and_ignored_links():
    html = """<div class="TRS_Editor"><p>正文</p></div>
      <a href="./P020220417512345678901.pdf" title="实施方案.pdf"> 实施方案.pdf </a>
      <a href="./W020220417512345678902.docx"></a>
      <a href="./P020220417512345678901.pdf#page=2">重复</a>
      <a href="javascript:void(0)">打印.pdf</a>
      <a href="mailto:jyj@qingdao.gov.cn">jyj.pdf</a>
      <a href="../202204/t20220417_974894.shtml">另一篇</a>
      <a href="/files/report.XLS?v=3">统计表</a>
      <a href="http://cdn.example.gov.cn/a/archive.zip">打包下载</a>"""
    base = "http://edu.qingdao.gov.cn/zwgk/xxgk/jyj/gkml/202204/t20220417_974894.shtml"
    assert find_attachments(html, base) == [
        AttachmentLink("实施方案.pdf", "http://edu.qingdao.gov.cn/zwgk/xxgk/jyj/gkml/202204/P020220417512345678901.pdf", "pdf"),
        AttachmentLink("W020220417512345678902.docx", "http://edu.qingdao.gov.cn/zwgk/xxgk/jyj/gkml/202204/W020220417512345678902.docx", "docx"),
        AttachmentLink("统计表", "http://edu.qingdao.gov.cn/files/report.XLS?v=3", "xls"),
        AttachmentLink("打包下载", "http://cdn.example.gov.cn/a/archive.zip", "zip"),
    ]


@pytest.mark.parametrize("kind", ATTACHMENT_TYPES)
def test_every_known_type(kind):
    links = find_attachments(f'<a href="/f/x.{kind}">x</a>', "https://a.gov.cn/")
    assert [link.type for link in links] == [kind]


def test_percent_encoded_file_names_and_type_only_in_the_title():
    html = (
        '<a href="/module/download/downfile.jsp?classid=0&filename=%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88%2Epdf">下载</a>'
        '<a href="/attach/get?id=42" title="附件：经费明细.xlsx">经费明细</a>'
        '<a href="/attach/get?id=43">说明</a>'
    )
    assert find_attachments(html, "http://www.dingxi.gov.cn/art/1.html") == [
        AttachmentLink("下载", "http://www.dingxi.gov.cn/module/download/downfile.jsp?classid=0&filename=%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88%2Epdf", "pdf"),
        AttachmentLink("经费明细", "http://www.dingxi.gov.cn/attach/get?id=42", "xlsx"),
    ]


def test_no_links_and_tree_input():
    assert find_attachments("", "http://a.gov.cn/") == []
    assert find_attachments(parse_html('<a href="a.wps">a</a>'), "http://a.gov.cn/x/") == [
        AttachmentLink("a", "http://a.gov.cn/x/a.wps", "wps")
    ]


# ---- attachment_text --------------------------------------------------------------------------

def test_docx_paragraphs_and_table_cells_in_order():
    assert attachment_text(make_docx(), "docx") == (
        "桓台县推进乡村教育振兴工作方案\n一、工作目标\n学校\n教师数\n起凤镇中学\n56\n合并单元格\n二、主要任务"
    )


def test_pdf_all_pages():
    text = attachment_text(minimal_pdf("Rural education plan", "Page two text"), "PDF")
    assert text == "Rural education plan\nPage two text"


def test_pdf_with_junk_before_the_header():
    assert attachment_text(b"\r\n\xef\xbb\xbf" + minimal_pdf("Shifted"), "pdf") == "Shifted"


def test_encrypted_pdf():
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(minimal_pdf("secret"))))
    writer.encrypt(user_password="pw", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(AttachmentError, match="encrypted PDF"):
        attachment_text(buffer.getvalue(), "pdf")


def test_txt_is_decoded():
    assert attachment_text("附件说明：乡村教育".encode("gbk"), "txt") == "附件说明：乡村教育"


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (b"not a zip", "docx", "not a valid .docx file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "docx", "legacy .doc"),
        (b"PK\x03\x04garbage", "docx", "not a valid .docx file"),
        (b"<html>404</html>", "pdf", "not a valid .pdf file"),
        (b"%PDF-1.4\n1 0 obj garbage", "pdf", "not a valid .pdf file"),
        (b"whatever", "xls", "no text extraction for .xls"),
        (b"whatever", "ofd", "no text extraction for .ofd"),
        (b"", "pdf", "empty"),
    ],
)
def test_broken_or_unsupported_files_raise_attachment_error(data, kind, message):
    with pytest.raises(AttachmentError, match=message):
        attachment_text(data, kind)


def test_truncated_docx_raises_attachment_error():
    data = make_docx()
    with pytest.raises(AttachmentError):
        attachment_text(data[: len(data) // 2], "docx")


# ---- is_attachment_only -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "body",
    [
        "详见附件。",
        "见附件",
        "附件：关于《陆河县义务教育学校布局调整方案》征求意见结果汇总表.xlsx",
        "关于印发实施方案的通知\n详见附件\n附件下载：\n实施方案.pdf\n陆河县教育局\n2024年7月14日",
        "附件1：实施方案.docx\n附件2：统计表.xls",
        "",
    ],
)
def test_attachment_only(body):
    assert is_attachment_only(body) is True


def test_real_luhe_notice_with_attachment_line_has_real_text():
    text = (SAMPLES / "gkmlpt_luhe_jyj_post_TEXT_REAL_excerpt.txt").read_text("utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert "附件" in body
    assert is_attachment_only(body) is False


def test_short_body_without_pointer_is_not_attachment_only():
    assert is_attachment_only("会议定于明天上午九点召开。") is False


def test_hanweb_showname_gives_the_name_when_the_link_has_no_text():
    html = '<a href="/module/download/downfile.jsp?classid=0&showname=%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88.pdf&filename=a1b2.pdf"><img src="pdf.gif"></a>'
    assert find_attachments(html, "http://www.zibo.gov.cn/art/2023/9/18/art_1_2.html") == [
        AttachmentLink(
            "实施方案.pdf",
            "http://www.zibo.gov.cn/module/download/downfile.jsp?classid=0&showname=%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88.pdf&filename=a1b2.pdf",
            "pdf",
        )
    ]
