"""Reading TOML tables into the configuration dataclasses, with errors that point at the line.

Why a module of its own: the schema (:mod:`eduwatch.config`) declares each key once, as a
dataclass field made by :func:`setting` (or :func:`required`), which carries the key's check and, where it is not
the field's name, its TOML spelling. This reader is the one place that walks those fields:
adding a key to the schema never touches it, and no key is listed twice.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from eduwatch.config_checks import Check

_CHECK = "eduwatch.check"
_KEY = "eduwatch.key"
_TABLE = "eduwatch.table"


class ConfigError(ValueError):
    """A configuration problem, worded for the operator who has to fix the file."""


def setting(default: Any, check: Check, *, key: str | None = None) -> Any:
    """A configuration key: its default, its check, and its TOML name where it is not the field's."""
    return dataclasses.field(default=default, metadata={_CHECK: check, _KEY: key})


def required(check: Check) -> Any:
    """A configuration key without a default: a table that leaves it out fails."""
    return dataclasses.field(metadata={_CHECK: check, _KEY: None})


def table(path: str, factory: Any = dataclasses.MISSING) -> Any:
    """A field of :class:`~eduwatch.config.Config` read from the TOML table ``path`` (``alerts.email``)."""
    return dataclasses.field(default_factory=factory, metadata={_TABLE: path})


def table_path(field: dataclasses.Field[Any]) -> str | None:
    return field.metadata.get(_TABLE)


@functools.cache
def keys_of(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """TOML key -> field, for the fields of ``cls`` made by :func:`setting`."""
    return {f.metadata[_KEY] or f.name: f for f in dataclasses.fields(cls) if _CHECK in f.metadata}


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


class TableReader:
    """Checks the tables of one TOML text; every failure names the source, line, table and key."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def fail(self, where: str, key: str, problem: str) -> ConfigError:
        # A missing key has no line of its own: point at the table's name line, else its header.
        line = self._line_of(where, key) or self._line_of(where, "name") or self._header_line(where)
        at = f":{line}" if line else ""
        return ConfigError(f"{self.source}{at}: [{where}] {key}: {problem}")

    def table(self, mapping: Any, where: str) -> dict[str, Any]:
        if not isinstance(mapping, dict):
            raise ConfigError(f"{self.source}: [{where}] must be a table")
        return mapping

    def entries(self, raw: Any, array: str) -> list[tuple[str, dict[str, Any]]]:
        """(where, table) of each ``[[array]]`` entry; ``where`` is ``array[name]`` when it has one."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise ConfigError(f"{self.source}: {array} must be an array of tables ([[{array}]])")
        found = []
        for number, entry in enumerate(raw, start=1):
            name = entry.get("name") if isinstance(entry, dict) else None
            where = f"{array}[{name}]" if isinstance(name, str) else f"{array} #{number}"
            found.append((where, self.table(entry, where)))
        return found

    def read(self, cls: type, mapping: dict[str, Any], where: str) -> dict[str, Any]:
        """Field name -> checked value for each key of ``mapping``; unknown or missing keys fail."""
        spec = keys_of(cls)
        values: dict[str, Any] = {}
        for key, value in mapping.items():
            field = spec.get(key)
            if field is None:
                raise self.fail(where, key, f"unknown key (allowed: {', '.join(sorted(spec))})")
            try:
                values[field.name] = field.metadata[_CHECK](value)
            except (TypeError, ValueError) as exc:
                raise self.fail(where, key, str(exc)) from None
        for key, field in spec.items():
            if _required(field) and field.name not in values:
                raise self.fail(where, key, "missing (required)")
        return values

    def known_tables(self, mapping: dict[str, Any], where: str, allowed: set[str]) -> None:
        for key in mapping:
            if key not in allowed:
                raise self.fail(where, key, f"unknown table (allowed: {', '.join(sorted(allowed))})")

    def _line_of(self, where: str, key: str) -> int | None:
        """Best-effort line number of ``key`` inside table ``where`` (for the message only)."""
        table_name, _, label = where.partition("[")
        label = label.rstrip("]")
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table_name.split('.')[0])}")
        in_table = False
        for number, line in enumerate(self.lines, start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                in_table = bool(header.match(stripped))
                continue
            if in_table and re.match(rf"^{re.escape(key)}\s*=", stripped):
                if not label or label in line or self._table_has(number, label):
                    return number
        return None

    def _header_line(self, where: str) -> int | None:
        """The line of ``[where]`` itself (tables without a ``name``, e.g. ``[alerts.email]``)."""
        header = re.compile(rf"^\s*\[\s*{re.escape(where)}\s*\]")
        return next((number for number, line in enumerate(self.lines, start=1) if header.match(line)), None)

    def _table_has(self, line_no: int, label: str) -> bool:
        start = line_no - 1
        while start > 0 and not self.lines[start - 1].strip().startswith("["):
            start -= 1
        end = line_no
        while end < len(self.lines) and not self.lines[end].strip().startswith("["):
            end += 1
        return any(f'"{label}"' in line for line in self.lines[start:end])
