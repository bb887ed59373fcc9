import pytest

from crawler.normalize.index_no import normalize_index_no


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("000014349/2018-00222", "000014349/2018-00222"),
        ("114452240070359782/2023-00093", "114452240070359782/2023-00093"),
        ("  11445224MB2C12012x/2023-00093 ", "11445224MB2C12012X/2023-00093"),
        ("１１４４５２２４００７０３５９７８２／２０２３－０００９３", "114452240070359782/2023-00093"),
        ("2026-02-\u300000018", "2026-02-00018"),
        ("0000 1434 9/2018\u00a0-00222", "000014349/2018-00222"),
        ("\t2026-02-00018\n", "2026-02-00018"),
    ],
)
def test_normalises_width_space_and_case(raw, expected):
    assert normalize_index_no(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", "无", "-", "——", "－"])
def test_absent_values_become_none(raw):
    assert normalize_index_no(raw) is None


def test_lower_and_upper_case_copies_match():
    assert normalize_index_no("11445224mb2c12012x/2023-1") == normalize_index_no("11445224MB2C12012X/2023-1")
