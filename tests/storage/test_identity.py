"""Identity keys: which 文号 are unique alone, and which keys a sighting answers to."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.normalize.doc_no import normalize_doc_no
from storage.identity import doc_no_names_issuer, identity_keys
from storage.records import DocumentRecord


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("惠府办函〔2023〕260号", True),
        ("桓政办字〔2023〕18号", True),
        ("龙教〔2022〕12号", True),
        ("国办函〔2004〕57号", True),
        ("龙教[2022]12", True),
        ("国家税务总局公告2026年第5号", True),
        ("2026年第5号", False),
        ("国务院令第708号", True),
        ("令第5号", False),
        ("公告2026年第5号", False),
        ("〔2023〕5号", False),
    ],
)
def test_which_doc_nos_name_their_issuer(raw: str, expected: bool) -> None:
    assert doc_no_names_issuer(normalize_doc_no(raw) or "") is expected


def test_keys_in_order_of_trust() -> None:
    record = DocumentRecord(
        portal="huilai", url="http://www.huilai.gov.cn/p/1.html", title="通知", title_key="通知",
        doc_no="公告2026年第5号", index_no="114452240070359782/2023-00093", publisher="惠来县教育局",
        written_date=date(2026, 1, 5), site="www.huilai.gov.cn",
    )
    kinds = [kind for kind, _ in identity_keys(record)]
    keys = [key for _, key in identity_keys(record)]
    assert kinds == ["doc_no", "index_no", "fingerprint"]
    assert keys[0] == "doc_no:惠来县教育局:公告2026年第5号"
    assert keys[1] == "index_no:www.huilai.gov.cn:114452240070359782/2023-00093"
    anonymous = DocumentRecord(portal="x", url="http://x/1", title="通知", title_key="通知", doc_no="2026年第5号")
    assert [kind for kind, _ in identity_keys(anonymous)] == ["fingerprint"]
