"""Masking secrets: the one place that knows what a secret looks like in text.

Why on the ground floor: log lines (monitor/shell/logging_setup.py), CLI output, alert errors
(alerts/) and crawl-run reasons (storage/runs.py) must all hide the same things, and every
floor may import ``eduwatch``. What is masked:

- credentials inside any URL, ``scheme://user:password@host`` (portal, database, Redis, SMTP,
  proxy URLs) -> ``scheme://user:***@host``, and a bare ``user:password@host`` as exception
  texts quote a netloc;
- query-string secrets (``key=``, ``token=``, ``password=`` …); a long webhook ``key`` keeps
  its last four characters (``key=****abcd``) so an operator can tell robots apart;
- ``password: x`` / ``"password": "x"`` and ``Authorization: Bearer x``.
"""

from __future__ import annotations

import logging
import re
from typing import Any, TextIO

MASK = "***"
_KEY = re.compile(r"(?i)\b(key=)([^&\s'\"<>#]+)")
_USERINFO: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host (the user may be empty: redis://:password@host)
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@"), rf"\1{MASK}@"),
    # user:password@host without a scheme in front (an exception quoting a URL's netloc)
    (re.compile(r"(?<![\w/:.%+-])(?!mailto:)([\w.%+-]+:)[^\s@/:'\"]+@(?=[\w\[])"), rf"\1{MASK}@"),
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # any other query-string secret
    (re.compile(r"(?i)\b((?:access_token|token|secret|password|passwd|pwd|api_key|apikey)=)[^&\s'\"<>#]+"),
     rf"\1{MASK}"),
    # "password: xyz", "password = xyz", JSON "password": "xyz"
    (re.compile(r"(?i)(\"?(?:password|passwd|secret|token)\"?\s*[:=]\s*\"?)[^\s\"',}]+"), rf"\1{MASK}"),
    *_USERINFO,
    # Authorization: Bearer xyz
    (re.compile(r"(?i)(authorization\W+(?:bearer|basic)\s+)[^\s'\"]+"), rf"\1{MASK}"),
)
_SECRET_FIELD = re.compile(r"(?i)password|passwd|secret|token|webhook|api_key|^key$")


def mask_key(key: str) -> str:
    """A webhook key as ``****abcd`` (short keys wholly masked: four characters would be half)."""
    if key.startswith("****") or key == MASK:
        return key
    return "****" + key[-4:] if len(key) > 8 else MASK


def redact(text: str) -> str:
    """``text`` with every secret-looking value masked (see the module docstring)."""
    text = _KEY.sub(lambda m: m.group(1) + mask_key(m.group(2)), text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_credentials(text: str) -> str:
    """Only what a URL carries as credentials: ``user:password@`` and a webhook ``key=``.

    For command output, where a command may mean to show a secret once (a new feed token's
    ``?token=``): the configuration's own credentials are never among those.
    """
    text = _KEY.sub(lambda m: m.group(1) + mask_key(m.group(2)), text)
    for pattern, replacement in _USERINFO:
        text = pattern.sub(replacement, text)
    return text


def redact_value(key: str, value: Any) -> Any:
    """A structured field: wholly masked when its name says secret, else its text redacted."""
    if _SECRET_FIELD.search(key) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return redact(value)
    return value


def redact_json(value: Any) -> Any:
    """Every string inside lists and dicts (a run's error_log) redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_json(v) for k, v in value.items()}
    return value


def mask_webhook(url: str | None) -> str:
    return redact(url) if url else ""


class SecretFilter(logging.Filter):
    """Rewrites a log record in place so every formatter downstream sees masked text.

    On a handler (monitor/shell/logging_setup.py) it covers every library's records; on the
    ``httpx`` loggers (:func:`install_log_redaction`) it covers processes that set up no
    handler of ours (httpx logs each request URL, and a webhook URL carries its key).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: redact_value(k, v) for k, v in fields.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction(names: tuple[str, ...] = ("httpx", "httpcore")) -> None:
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretFilter) for f in logger.filters):
            logger.addFilter(SecretFilter())


class RedactingStream:
    """A text stream whose every write has its URL credentials masked: the CLI's stdout and stderr.

    Why at the stream: commands print configuration values, stored reasons, source URLs and
    exception texts in many places; masking where the text leaves the process covers them
    all, as the log handler's filter does for log lines. Writes are whole strings (``print``
    writes its text, then the line end), so a secret is never split across two writes.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact_credentials(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding … of the real stream
        return getattr(self._stream, name)
