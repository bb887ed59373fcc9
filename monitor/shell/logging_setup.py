"""Structured logging for long-running processes: one line per event, secrets masked.

Every record becomes one line, ``2026-11-22T15:30:40Z INFO daemon crawl.finished portal=huilai
status=ok docs_new=3`` or, with ``json=True``, one JSON object per line. Structured fields
travel in ``extra={"fields": {...}}`` (see :func:`event`) so that a log shipper can index
them without parsing prose.

Secrets never reach the output: a filter on the handler (:class:`eduwatch.redact.SecretFilter`,
the one owner of masking) masks webhook keys (``key=…``), passwords, tokens and URL
credentials (``postgresql://user:pw@host``) in the message, the fields and any exception
text. It runs on the handler, so records from libraries (Scrapy, APScheduler, httpx logging a
request URL with ``?key=``) are covered too.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

from eduwatch.redact import SecretFilter, redact

__all__ = ["JsonFormatter", "LineFormatter", "SecretFilter", "event", "redact", "setup_logging"]


def _format_value(value: Any) -> str:
    text = str(value)
    if text == "" or any(c.isspace() for c in text) or '"' in text or "=" in text:
        return json.dumps(text, ensure_ascii=False)
    return text


class LineFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER message k=v …`` on one line (tracebacks folded into that line)."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", self.converter(record.created))
        parts = [stamp, record.levelname, record.name, record.getMessage().replace("\n", " | ")]
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            parts.extend(f"{key}={_format_value(value)}" for key, value in fields.items())
        if record.exc_text:
            parts.append("exc=" + json.dumps(record.exc_text, ensure_ascii=False))
        return " ".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``{"ts", "level", "logger", "event", …fields}``."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                payload.setdefault(key, value)
        if record.exc_text:
            payload["exc"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False, default=str)


def setup_logging(*, json_lines: bool = False, level: int = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """Route every logger to one handler on ``stream`` (stderr), replacing earlier handlers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else LineFormatter())
    handler.addFilter(SecretFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler narrates every job start at INFO; our own events say more in fewer lines.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # two INFO lines on every start otherwise
    return handler


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log the event ``name`` (``crawl.finished``) with structured ``fields``."""
    logger.log(level, name, extra={"fields": fields})
