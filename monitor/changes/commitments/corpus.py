"""The labelled commitments corpus (tests/monitor/changes/commitments_corpus/): one JSON file per
plan, ``test/`` (held out, labelled before the extractor was written) and ``train/``.

Seed plans read their text from ../shared/seeds/ when it is there (the originals), else from
the copy in the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from monitor.changes.commitments.types import Commitment

REPO = Path(__file__).resolve().parents[3]
CORPUS_DIR = REPO / "tests" / "monitor" / "changes" / "commitments_corpus"
SEEDS_DIR = REPO / ".." / "shared" / "seeds"
SPLITS = ("test", "train")  # reports put the held-out part first


@dataclass(frozen=True)
class LabelledPlan:
    id: str
    split: str
    region: str
    title: str
    written_date: date | None
    text: str  # body and attachment text, as the extractor reads them
    labels: tuple[Commitment, ...]


def load_plan(path: Path) -> LabelledPlan:
    entry: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    body = "\n".join(entry.get("body") or [])
    seed = entry.get("seed_file")
    if seed and (SEEDS_DIR / seed).is_file():
        body = (SEEDS_DIR / seed).read_text(encoding="utf-8").strip("\n")
    attachments = "\n".join(entry.get("attachments_text") or [])
    written = entry.get("written_date")
    return LabelledPlan(
        id=entry["id"], split=entry.get("split", path.parent.name), region=entry.get("region") or "",
        title=entry.get("title") or "", written_date=date.fromisoformat(written) if written else None,
        text=body + ("\n" + attachments if attachments else ""),
        labels=tuple(Commitment.from_dict(item) for item in entry.get("commitments") or []),
    )


def bundled_corpus(directory: Path = CORPUS_DIR) -> dict[str, list[LabelledPlan]]:
    """The plans of each part, test first."""
    return {split: [load_plan(p) for p in sorted((directory / split).glob("*.json"))] for split in SPLITS}
