"""`eduwatch commitments` (table, --json, --csv, filters, due marks), `commitments eval` and
`commitments refresh`, on the 桓台 plan stored and monitored without a crawler."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import delete

from eduwatch.config import load_config
from monitor.changes.revisions import run_monitor
from storage.database import Database
from storage.models import PlanCommitment
from storage.runs import Runs
from storage.store import Store
from tests.monitor.json_times import assert_utc_times
from tests.monitor.shell.test_events_cli import config_path, record, run  # noqa: F401  (fixture)

FIELDS = {"document_id", "title", "region", "deadline", "indicator", "target", "unit", "comparison", "scope", "lead",
          "partners", "sentence", "section", "due", "url", "recurring"}


@pytest.fixture
def stored(config_path: Path) -> Path:  # noqa: F811
    db = Database(load_config(config_path).database.url)
    store = Store(db)
    store.sync_portals(load_config(config_path).portals)
    store.save_document(record(), Runs(db).open("huantai", full=True))
    run_monitor(db, now=datetime(2026, 11, 20, 9, 30))
    db.dispose()
    return config_path


def commitments(capsys: pytest.CaptureFixture[str], config: Path, *argv: str) -> list[dict]:
    code, out, _ = run(capsys, "--config", str(config), "commitments", "--json", "--today", "2026-01-01", *argv)
    assert code == 0
    return json.loads(out)


def test_json_lists_each_commitment_with_its_plan(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = commitments(capsys, stored)
    assert len(items) == 7 and FIELDS <= set(items[0])
    principals = next(i for i in items if i["target"] == 50)
    assert principals | {"title": None, "sentence": None, "url": None} == principals | {
        "document_id": 1, "region": "山东省淄博市桓台县", "deadline": "2027-12-31", "due": False, "comparison": "at_least",
        "unit": "%", "scope": "县域内", "lead": "县教育体育局", "indicator": "45周岁以下乡村校长（含副校长）",
        "section": "（四）实施乡村校长选优培强行动", "title": None, "sentence": None, "url": None,
    }
    assert principals["partners"] == ["县委组织部", "县委编办", "县人力资源社会保障局"]
    assert principals["url"] == "http://www.huantai.gov.cn/doc/1.html" and "45周岁以下" in principals["sentence"]
    assert [i["deadline"] for i in items] == sorted(i["deadline"] for i in items), "by deadline within a county"
    assert [i["due"] for i in items if i["deadline"] < "2026-01-01"] == [True, True]
    assert_utc_times(items)


def test_filters(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(commitments(capsys, stored, "--region", "山东省淄博市")) == 7
    assert commitments(capsys, stored, "--region", "广东省") == []
    assert commitments(capsys, stored, "--portal", "elsewhere") == []
    assert [i["deadline"] for i in commitments(capsys, stored, "--due-before", "2025-12-31")] == ["2024-12-31"]
    assert [i["target"] for i in commitments(capsys, stored, "--indicator", "乡村校长")] == [50]


def test_csv_has_a_header_and_the_json_rows(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--config", str(stored), "commitments", "--csv", "--today", "2026-01-01")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 7 and FIELDS <= set(rows[0])
    principals = next(r for r in rows if r["target"] == "50.0")
    assert principals["partners"] == "县委组织部、县委编办、县人力资源社会保障局" and principals["deadline"] == "2027-12-31"
    assert {r["due"] for r in rows} == {"True", "False"}


def test_table_by_county_with_due_marks_and_plan_links(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--config", str(stored), "commitments", "--today", "2026-01-01")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:5] == ["county", "deadline", "due", "indicator", "target"]
    assert lines[2].split()[:3] == ["桓台县", "2024-12-31", "到期"]
    assert any("≥50%" in line and "#1" in line for line in lines)
    assert lines[-1].startswith("#1 ") and lines[-1].endswith("http://www.huantai.gov.cn/doc/1.html")


def test_refresh_extracts_plans_stored_before_the_tracker(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = Database(load_config(stored).database.url)
    with db.transaction() as session:
        session.execute(delete(PlanCommitment))
    db.dispose()
    assert commitments(capsys, stored) == []
    code, out, _ = run(capsys, "--config", str(stored), "commitments", "refresh")
    assert code == 0 and out.strip() == "commitments: 7 stored for 1 plan(s)"
    assert len(commitments(capsys, stored)) == 7
    run(capsys, "--config", str(stored), "commitments", "refresh")
    assert len(commitments(capsys, stored)) == 7, "refresh never stores twice"


def test_eval_reports_the_test_part_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "commitments", "eval", "--json")
    parts = json.loads(out)["parts"]
    assert code == 0 and [p["part"] for p in parts] == ["test", "train"]
    test = parts[0]
    assert test["plans"] >= 15 and test["recall"] >= 0.9 and test["precision"] >= 0.9 and test["fully_right"] >= 0.9
    code, out, _ = run(capsys, "commitments", "eval")
    assert code == 0 and out.splitlines()[0].split()[:4] == ["part", "plans", "labelled", "found"]
    assert out.splitlines()[2].startswith("test")
