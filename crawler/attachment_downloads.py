"""AttachmentDownloads: every attachment of a document is listed; .docx/.pdf are fetched for their text.

One download per file and run, even when two listings of a document race for it (reposts
link the same file). :meth:`AttachmentDownloads.download` is the one place a file is
fetched, so a distributed run can share downloads across workers by overriding just that
(:class:`crawler.distributed.attachments.SharedDownloads`).
"""

from __future__ import annotations

import asyncio
from typing import Callable

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

from crawler.blocking import PortalBlocked
from crawler.extract.attachments import AttachmentError, AttachmentLink, attachment_text
from crawler.spiders.truncation import is_data_loss
from storage.records import AttachmentRecord, DocumentRecord

TEXT_ATTACHMENTS = ("docx", "pdf")  # downloaded for their text; other types are only listed
Download = tuple[int | None, str | None, str | None]  # (size, text, error)


class AttachmentDownloads:
    def __init__(self, crawler: Crawler, max_bytes: int) -> None:
        self.crawler = crawler
        self.max_bytes = max_bytes
        self._tasks: dict[str, asyncio.Future[Download]] = {}  # url -> its one download this run

    async def fill(self, record: DocumentRecord, links: list[AttachmentLink], *,
                   stopped: Callable[[], bool] = lambda: False) -> None:
        """Append every linked attachment to ``record``; text ones get size, text or error."""
        seen: set[str] = set()
        for link in links:
            if link.url in seen:
                continue
            seen.add(link.url)
            attachment = AttachmentRecord(name=link.name, url=link.url, type=(link.type or "").lower())
            record.attachments.append(attachment)
            if attachment.type not in TEXT_ATTACHMENTS or stopped():
                continue
            task = self._tasks.get(link.url)
            if task is None:
                task = self._tasks[link.url] = asyncio.ensure_future(self.download(link.url, attachment.type))
            attachment.size, attachment.text, attachment.error = await task

    async def download(self, url: str, type_: str) -> Download:
        """(size, text, error) of one attachment file."""
        request = Request(url, meta={"download_maxsize": self.max_bytes, "attachment": True}, dont_filter=True)
        try:
            response = await self.crawler.engine.download_async(request)
        except PortalBlocked:
            return None, None, "portal answered with a challenge page"
        except IgnoreRequest as exc:
            return None, None, f"not fetched: {exc}"
        except Exception as exc:  # noqa: BLE001 — size cap, timeout, reset: the record says why
            return None, None, self._failed(exc)
        if response.status != 200:
            return None, None, f"HTTP {response.status}"
        try:
            return len(response.body), attachment_text(response.body, type_), None
        except AttachmentError as exc:
            return len(response.body), None, str(exc)[:500]

    def _failed(self, exc: Exception) -> str:
        text = str(exc) or type(exc).__name__
        if "maxsize" in text.lower() or "max size" in text.lower() or "larger than" in text.lower():
            return f"larger than {self.max_bytes} bytes"
        if is_data_loss(Failure(exc)):
            return "download failed: truncated (the connection closed before the announced Content-Length)"
        return f"download failed: {type(exc).__name__}: {text}"[:500]
