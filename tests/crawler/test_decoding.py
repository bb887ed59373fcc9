import pytest

from crawler.decoding import DecodedPage, canonical_encoding, decode_page

TEXT = "桓台县推进乡村教育振兴工作方案：为加快全县教育城乡一体化发展，优化教育资源配置。镕堃"  # 镕 and 堃 are GBK-only (not in GB2312)


def page(charset: str) -> str:
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>通知</title></head><body><p>{TEXT}</p></body></html>"
    )


def test_gbk_page_and_utf8_twin_give_the_same_text():
    gbk = decode_page(page("gb2312").encode("gbk"))
    utf8 = decode_page(page("gb2312").encode("utf-8"), "text/html; charset=utf-8")
    assert gbk.encoding == "gb18030"
    assert utf8.encoding == "utf-8"
    assert gbk.text == utf8.text
    assert TEXT in gbk.text


@pytest.mark.parametrize("label", ["gb2312", "GBK", "x-gbk", "cp936", "GB18030"])
def test_chinese_labels_decode_as_gb18030(label):
    decoded = decode_page(page(label).encode("gb18030"))
    assert decoded == DecodedPage(page(label), "gb18030")


def test_http_header_wins_over_meta():
    body = page("utf-8").encode("gbk")  # the meta lies, the header tells the truth
    decoded = decode_page(body, "text/html; Charset=GBK")
    assert decoded.encoding == "gb18030"
    assert TEXT in decoded.text


def test_wrong_header_is_skipped_when_it_cannot_decode():
    decoded = decode_page(page("gbk").encode("gbk"), "text/html; charset=utf-8")
    assert decoded.encoding == "gb18030"
    assert TEXT in decoded.text


def test_server_default_latin1_does_not_beat_meta():
    decoded = decode_page(page("gb2312").encode("gbk"), "text/html; charset=ISO-8859-1")
    assert decoded.encoding == "gb18030"
    assert TEXT in decoded.text


def test_bom_is_used_and_removed():
    body = "\ufeff<p>教育</p>".encode("utf-8")
    assert decode_page(body) == DecodedPage("<p>教育</p>", "utf-8")
    assert decode_page("<p>教育</p>".encode("utf-16")).text == "<p>教育</p>"


def test_html5_meta_charset_and_xml_declaration():
    assert decode_page('<meta charset="gbk"><p>教育局</p>'.encode("gbk")).text == '<meta charset="gbk"><p>教育局</p>'
    xml = '<?xml version="1.0" encoding="GB2312"?><datastore><totalrecord>45</totalrecord><r>定西市教育局</r></datastore>'
    decoded = decode_page(xml.encode("gbk"))
    assert decoded.encoding == "gb18030"
    assert "定西市教育局" in decoded.text


def test_meta_after_first_4kb_is_ignored_and_detection_takes_over():
    html = "<html><head>" + "<!-- padding -->" * 400 + '<meta charset="utf-8"></head><body>'
    html += ("<p>" + TEXT + "</p>") * 20 + "</body></html>"
    decoded = decode_page(html.encode("gbk"))
    assert decoded.encoding == "gb18030"
    assert TEXT in decoded.text


def test_undeclared_utf8_is_detected():
    decoded = decode_page(("<p>" + TEXT + "</p>").encode("utf-8"))
    assert decoded.text == "<p>" + TEXT + "</p>"


def test_broken_bytes_never_raise():
    body = page("utf-8").encode("utf-8") + b"\xff\xfe\xfa broken"
    decoded = decode_page(body, "text/html; charset=utf-8")
    assert TEXT in decoded.text
    assert decode_page(b"") == DecodedPage("", "utf-8")
    assert isinstance(decode_page(b"\x00\xff" * 50, "text/html; charset=nonsense-charset").text, str)


def test_canonical_encoding():
    assert canonical_encoding("GB2312") == "gb18030"
    assert canonical_encoding("UTF8") == "utf-8"
    assert canonical_encoding("no-such") is None
    assert canonical_encoding(None) is None


def test_short_undeclared_gbk_snippet_is_not_misread_as_korean():
    assert decode_page("附件说明：乡村教育".encode("gbk")) == DecodedPage("附件说明：乡村教育", "gb18030")


def test_undeclared_latin1_is_not_forced_into_chinese():
    text = "Café déjà vu, naïve façade — résumé " * 5
    decoded = decode_page(text.encode("cp1252"))
    assert decoded.encoding != "gb18030"  # which Latin code page wins is the detector's call
    assert decoded.text.startswith("Café d")
