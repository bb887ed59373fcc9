import pytest

from crawler.normalize.titles import clean_title, normalize_publisher, title_key


def test_clean_title_collapses_whitespace_and_strips():
    assert clean_title("  关于印发\u3000桓台县推进乡村教育振兴\n  工作方案的通知 ") == "关于印发 桓台县推进乡村教育振兴 工作方案的通知"


@pytest.mark.parametrize("tail", ["...", "…", "……", " ...", "。。。"])
def test_clean_title_cuts_truncation_marks(tail):
    assert clean_title("惠来县人民政府办公室关于印发惠来县" + tail) == "惠来县人民政府办公室关于印发惠来县"


def test_clean_title_is_nfc_and_none_is_empty():
    assert clean_title("Cafe\u0301") == "Café"
    assert clean_title(None) == ""


def test_title_key_ignores_quotes_brackets_width_and_spaces():
    a = "惠来县人民政府办公室关于印发惠来县“百县千镇万村高质量发展工程”教育行动方案（2023-2027年）的通知"
    b = '惠来县人民政府办公室关于印发惠来县"百县千镇万村高质量发展工程"教育行动方案(2023—2027年)的通知 '
    c = "惠来县人民政府办公室关于印发惠来县《百县千镇万村高质量发展工程》教育行动方案【２０２３－２０２７年】的通知"
    assert title_key(a) == title_key(b) == title_key(c)
    assert title_key(a) == "惠来县人民政府办公室关于印发惠来县百县千镇万村高质量发展工程教育行动方案20232027年的通知"


def test_title_key_lower_cases_latin():
    assert title_key("ＡＢＣ Plan") == "abcplan"
    assert title_key("") == ""


def test_title_key_keeps_distinct_titles_distinct():
    assert title_key("关于印发A方案的通知") != title_key("关于印发B方案的通知")


def test_normalize_publisher():
    assert normalize_publisher(" 惠来县 人民政府办公室\u3000") == "惠来县人民政府办公室"
    assert normalize_publisher("ＡＢＣ局") == "ABC局"
    assert normalize_publisher("  ") is None
    assert normalize_publisher(None) is None
