"""Keeping webhook keys out of logs, errors and CLI output.

A WeCom webhook URL carries its secret in ``key=``; anybody holding it can post to the group.
Every string that may contain a URL (exception texts from httpx included) passes through
:func:`redact` before it is logged or stored, leaving the last four characters to tell keys apart.
"""

from __future__ import annotations

import logging
import re

_KEY = re.compile(r"(key=)([\w\-.~%*+/=]+)", re.IGNORECASE)


def mask_key(key: str) -> str:
    return "****" + key[-4:] if len(key) > 4 else "****"


def redact(text: str) -> str:
    """``...send?key=0123-abcd`` -> ``...send?key=****abcd`` wherever it occurs in ``text``."""
    return _KEY.sub(lambda m: m.group(1) + (m.group(2) if m.group(2).startswith("****") else mask_key(m.group(2))), text)


def mask_webhook(url: str | None) -> str:
    return redact(url) if url else ""


class RedactingFilter(logging.Filter):
    """Rewrites log records so that no webhook key reaches a handler.

    httpx logs every request URL at INFO ("HTTP Request: POST …?key=…"); this filter is
    installed on the ``httpx`` and ``httpcore`` loggers by :func:`install_log_redaction`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "key=" in message.lower():
            record.msg = redact(message)
            record.args = ()
        return True


def install_log_redaction() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
