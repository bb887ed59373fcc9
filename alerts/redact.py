"""Keeping webhook keys out of logs, errors and CLI output.

A WeCom webhook URL carries its secret in ``key=``; anybody holding it can post to the group.
Every string that may contain a URL (exception texts from httpx included) passes through
:func:`redact` before it is logged or stored, leaving the last four characters to tell keys apart.
"""

from __future__ import annotations

import re

_KEY = re.compile(r"(key=)([^&\s'\"#]+)", re.IGNORECASE)


def mask_key(key: str) -> str:
    return "****" + key[-4:] if len(key) > 4 else "****"


def redact(text: str) -> str:
    """``...send?key=0123-abcd`` -> ``...send?key=****abcd`` wherever it occurs in ``text``."""
    return _KEY.sub(lambda m: m.group(1) + mask_key(m.group(2)), text)


def mask_webhook(url: str | None) -> str:
    return redact(url) if url else ""
