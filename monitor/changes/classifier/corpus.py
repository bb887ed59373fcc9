"""Labelled documents: the bundled train/dev/test corpus and users' label files, one format.

The corpus format is JSON Lines, one document per line: ``id``, ``label`` (true = a rural-
education plan by the guide), ``reason``, the ClassifiableDocument fields, and optionally
``split``, ``family``, ``url``, ``borderline``. A ``.json`` file holding one such object or a
list of them is read too (the per-file documents of the original corpus are such files).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from monitor.changes.classifier.types import ClassifiableDocument

FIELDS = ("title", "body", "doc_no", "category", "keywords", "publisher", "attachments_text")
SPLITS = ("test", "dev", "train")  # the order reports use: the held-out part first
REPO = Path(__file__).resolve().parents[3]
CORPUS_DIR = REPO / "tests" / "monitor" / "changes" / "corpus"
SEEDS_DIR = REPO / ".." / "shared" / "seeds"


class LabelsError(ValueError):
    """A labels file that cannot be read; the message names the file and line."""


def as_document(entry: dict[str, Any]) -> ClassifiableDocument:
    values = {name: entry.get(name) for name in FIELDS}
    values["title"] = values["title"] or ""
    values["body"] = values["body"] or ""
    values["attachments_text"] = values["attachments_text"] or ""
    return ClassifiableDocument(**values)


def _checked(entry: Any, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict) or not isinstance(entry.get("label"), bool):
        raise LabelsError(f"{where}: each document needs a boolean \"label\"")
    if not isinstance(entry.get("title", ""), (str, type(None))) or not isinstance(entry.get("body", ""), (str, type(None))):
        raise LabelsError(f"{where}: \"title\" and \"body\" must be text")
    entry.setdefault("id", where)
    return entry


def load_labels(path: Path) -> list[dict[str, Any]]:
    """Documents from a .jsonl or .json labels file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabelsError(f"{path}: {exc.strerror or exc}") from exc
    try:
        if path.suffix == ".json":
            data = json.loads(text)
            items = data if isinstance(data, list) else [data]
            return [_checked(item, f"{path}[{i}]") for i, item in enumerate(items)]
        return [
            _checked(json.loads(line), f"{path}:{number}")
            for number, line in enumerate(text.splitlines(), 1)
            if line.strip()
        ]
    except json.JSONDecodeError as exc:
        raise LabelsError(f"{path}: not JSON ({exc})") from exc


def _with_seed_body(entry: dict[str, Any]) -> dict[str, Any]:
    """Seed documents read their body from ../shared/seeds when it is there (the originals)."""
    seed_file = entry.get("seed_file")
    if seed_file and (SEEDS_DIR / seed_file).is_file():
        entry["body"] = (SEEDS_DIR / seed_file).read_text(encoding="utf-8").strip("\n")
    return entry


def bundled_corpus(directory: Path = CORPUS_DIR) -> dict[str, list[dict[str, Any]]]:
    """The bundled corpus by split, test first; the per-file ``*.json`` documents are train."""
    if not directory.is_dir():
        raise LabelsError(f"the bundled corpus is not here: {directory} (pass --labels FILE)")
    parts: dict[str, list[dict[str, Any]]] = {name: [] for name in SPLITS}
    for name in SPLITS:
        path = directory / f"{name}.jsonl"
        if path.is_file():
            parts[name] += load_labels(path)
    for path in sorted(directory.glob("*.json")):
        parts["train"] += [_with_seed_body(entry) for entry in load_labels(path)]
    return parts


def write_labels(entries: Iterable[dict[str, Any]], path: Path) -> int:
    """Write documents as JSON Lines; returns how many."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for entry in entries:
            out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
            count += 1
    return count
