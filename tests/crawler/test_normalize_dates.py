import datetime as dt

import pytest

from crawler.normalize.dates import find_signature_date, parse_date

D = dt.date(2023, 10, 12)


@pytest.mark.parametrize(
    "raw",
    [
        "2023-10-12",
        "2023/10/12",
        "2023.10.12",
        "2023年10月12日",
        "2023年10月12",
        "2023 年 10 月 12 日",
        "2023-10-12 16:25:04",
        "2023-10-12T16:25:04",
        "２０２３－１０－１２",
        "２０２３年１０月１２日",
        "二〇二三年十月十二日",
        "二○二三年十月十二日",
        "二零二三年十月十二日",
        "发布日期：2023-10-12",
        "20231012",
    ],
)
def test_text_forms(raw):
    assert parse_date(raw) == D


def test_no_day_suffix_and_unpadded():
    assert parse_date("2023年9月18") == dt.date(2023, 9, 18)
    assert parse_date("2023-9-8") == dt.date(2023, 9, 8)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("二〇二三年九月十八日", dt.date(2023, 9, 18)),
        ("二〇二三年十二月二十日", dt.date(2023, 12, 20)),
        ("二〇二三年十二月三十一日", dt.date(2023, 12, 31)),
        ("二〇二四年一月十日", dt.date(2024, 1, 10)),
        ("二〇一八年十一月二十九日", dt.date(2018, 11, 29)),
    ],
)
def test_chinese_numerals(raw, expected):
    assert parse_date(raw) == expected


def test_epoch_seconds_and_milliseconds_in_beijing_time():
    # 2023-10-11 16:30 UTC is already 2023-10-12 00:30 in Beijing
    seconds = int(dt.datetime(2023, 10, 11, 16, 30, tzinfo=dt.timezone.utc).timestamp())
    assert parse_date(seconds) == D
    assert parse_date(seconds * 1000) == D
    assert parse_date(float(seconds)) == D
    assert parse_date(str(seconds)) == D
    assert parse_date(str(seconds * 1000)) == D
    assert parse_date("1605682832.2693") == dt.date(2020, 11, 18)


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "abc", "无", "2023-13-01", "2023-02-30", "1900-01-01", "1948年1月1日", "2999-01-01", True, 0, "12345"],
)
def test_unparseable_or_implausible(raw):
    assert parse_date(raw) is None


def test_more_than_a_year_ahead_is_rejected_but_near_future_is_accepted():
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    soon = today + dt.timedelta(days=30)
    assert parse_date(soon.isoformat()) == soon
    assert parse_date((today + dt.timedelta(days=800)).isoformat()) is None


def test_signature_date_arabic():
    body = "现将方案印发给你们，请认真贯彻执行。\n桓台县人民政府办公室\n2023年9月18日\n（此件公开发布）\n"
    assert find_signature_date(body) == dt.date(2023, 9, 18)


def test_signature_date_chinese_numerals_is_the_last_date_line():
    body = (
        "2023年1月1日起实施的规定……\n惠来县人民政府办公室\n2023年10月12日\n"
        "方案正文，于2024年3月1日前完成。\n惠来县教育局\n二〇二三年十月十二日   \n抄送：县委办。"
    )
    assert find_signature_date(body) == D


def test_signature_date_ignores_dates_inside_sentences():
    assert find_signature_date("于2024年6月13日至2024年7月13日征求意见。") is None
    assert find_signature_date("") is None


def test_signature_date_with_padding_and_no_day_suffix():
    assert find_signature_date("桓台县人民政府办公室\n\u3000\u30002023年9月18\u3000\n") == dt.date(2023, 9, 18)
