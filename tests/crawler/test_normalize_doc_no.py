import pytest

from crawler.normalize.doc_no import normalize_doc_no


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("惠府办函〔2023〕260号", "惠府办函〔2023〕260号"),
        ("惠府办函[2023]260号", "惠府办函〔2023〕260号"),
        ("惠府办函［2023］260号", "惠府办函〔2023〕260号"),
        ("惠府办函【2023】260号", "惠府办函〔2023〕260号"),
        ("惠府办函（2023）260号", "惠府办函〔2023〕260号"),
        ("惠府办函(2023)260号", "惠府办函〔2023〕260号"),
        ("惠府办函﹝2023﹞260号", "惠府办函〔2023〕260号"),
        ("惠府办函{2023}260号", "惠府办函〔2023〕260号"),
        ("惠府办函〔２０２３〕２６０号", "惠府办函〔2023〕260号"),
        ("惠府办函 〔2023〕 260 号", "惠府办函〔2023〕260号"),
        ("惠府办函\u3000〔2023〕\u3000260号", "惠府办函〔2023〕260号"),
        ("惠府办函〔2023〕260", "惠府办函〔2023〕260号"),
        ("惠府办函〔2023〕0260号", "惠府办函〔2023〕260号"),
        ("惠府办函〔2023〕第260号", "惠府办函〔2023〕260号"),
        ("桓政办字〔2023〕18号", "桓政办字〔2023〕18号"),
        ("龙教[2022]012", "龙教〔2022〕12号"),
        ("国办函〔2004〕57号", "国办函〔2004〕57号"),
        ("国发〔2018〕43号", "国发〔2018〕43号"),
        ("公告2026年第5号", "公告2026年第5号"),
        ("公告 2026年第05号", "公告2026年第5号"),
        ("国家税务总局公告2026年第5号", "国家税务总局公告2026年第5号"),
        ("2026年第5号", "2026年第5号"),
        ("2026年第5", "2026年第5号"),
        ("国务院令第０７０８号", "国务院令第708号"),
        ("教育部令 第50", "教育部令第50号"),
    ],
)
def test_canonical_form(raw, expected):
    assert normalize_doc_no(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "无", "—", "-", "——", "\u3000"])
def test_absent_values_become_none(raw):
    assert normalize_doc_no(raw) is None


def test_unrecognised_shape_is_kept_not_lost():
    assert normalize_doc_no(" 惠 府 函 ") == "惠府函"


def test_brackets_not_around_a_year_are_left_alone():
    assert normalize_doc_no("某局【通知】12号") == "某局【通知】12号"


def test_truncated_body_text_is_not_repaired_into_a_guess():
    # a real extracted copy of the 桓台 plan lost glyphs; the normaliser must not invent 〕 or 号
    assert normalize_doc_no("桓政字〔202318") == "桓政字〔202318"
