"""Normalisers: turn the many printed forms of 索引号, 文号, dates, titles and publishers into one.

Pure functions only, so the spiders, the storage layer and the tests agree on one canonical form.
"""

from crawler.normalize.dates import find_signature_date, parse_date
from crawler.normalize.doc_no import normalize_doc_no
from crawler.normalize.index_no import normalize_index_no
from crawler.normalize.titles import clean_title, normalize_publisher, title_key

__all__ = [
    "clean_title",
    "find_signature_date",
    "normalize_doc_no",
    "normalize_index_no",
    "normalize_publisher",
    "parse_date",
    "title_key",
]
