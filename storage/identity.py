"""Identity keys: what makes two sightings the same document.

A document answers to every key it has ever shown, in this order of trust:
1. its 文号 (doc_no), with the publisher when the 文号 alone does not name the issuer;
2. the site that issued it plus its 索引号 (index_no is unique per publishing site only);
3. a fingerprint of the normalised title, publisher and written date.
The crawler hands over normalised values; this module only builds keys from them.
"""

from __future__ import annotations

import hashlib
import re

from storage.records import DocumentRecord

# The crawler hands over canonical 文号 (crawler.normalize.doc_no): 机关代字〔YYYY〕N号,
# …YYYY年第N号 or …令第N号. What stands before the number is the issuer code, unless it is
# only a word every publisher uses.
_NUMBER = re.compile(r"(〔\d{4}〕\d+号|(?:19|20)\d\d年第\d+号|令第\d+号)$")
_GENERIC_WORDS = ("公告", "通告", "公示", "通知", "令", "第", "号", "文号", "发文字号")


def doc_no_names_issuer(doc_no: str) -> bool:
    """True when the 文号 carries an issuer code (惠府办函〔2023〕260号), so it is unique on its own.

    ``2026年第5号`` or ``公告2026年第5号`` are reused by every publisher and identify a
    document only together with the publisher.
    """
    match = _NUMBER.search(doc_no)
    prefix = doc_no[: match.start()] if match else ""
    for word in _GENERIC_WORDS:
        while prefix.endswith(word):
            prefix = prefix[: -len(word)]
    return any("\u4e00" <= ch <= "\u9fff" for ch in prefix)


def doc_no_key(doc_no: str, publisher: str | None) -> str | None:
    """None for an issuer-less 文号 with no publisher: it would merge unrelated notices."""
    if doc_no_names_issuer(doc_no):
        return f"doc_no:{doc_no}"
    return f"doc_no:{publisher}:{doc_no}" if publisher else None


def index_no_key(site: str | None, index_no: str) -> str:
    return f"index_no:{(site or '').lower()}:{index_no.upper()}"


def fingerprint_key(title_key: str, publisher: str | None, written_date: str | None) -> str:
    digest = hashlib.sha256(f"{title_key}|{publisher or ''}|{written_date or ''}".encode()).hexdigest()
    return f"fingerprint:{digest[:40]}"


def identity_keys(record: DocumentRecord) -> list[tuple[str, str]]:
    """(kind, key) pairs for ``record``, most trusted first."""
    keys: list[tuple[str, str]] = []
    doc_key = doc_no_key(record.doc_no, record.publisher) if record.doc_no else None
    if doc_key:
        keys.append(("doc_no", doc_key))
    if record.index_no:
        keys.append(("index_no", index_no_key(record.site, record.index_no)))
    title_key = record.title_key or record.title
    if title_key:
        written = record.written_date.isoformat() if record.written_date else None
        keys.append(("fingerprint", fingerprint_key(title_key, record.publisher, written)))
    return keys
