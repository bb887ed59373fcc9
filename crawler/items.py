"""Items: the crawler yields :class:`storage.records.DocumentRecord` dataclasses directly.

Scrapy handles dataclass items natively, and one record type from spider to store means no
field can be renamed or dropped on the way. Re-exported here so spiders have one import.
"""

from storage.records import AttachmentRecord, DocumentRecord, FetchError, ListEntry

__all__ = ["AttachmentRecord", "DocumentRecord", "FetchError", "ListEntry"]
