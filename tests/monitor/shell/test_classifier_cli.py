"""`eduwatch classifier eval`, `eduwatch label` and related pages in `eduwatch show`."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from eduwatch.config import load_config
from monitor.changes.revisions import run_monitor
from storage.database import Database
from storage.runs import Runs
from storage.store import Store
from tests.monitor.shell.test_events_cli import config_path, record, run  # noqa: F401  (fixture)

NEWS = "近日，县政府办公室印发《桓台县推进乡村教育振兴工作方案》，乡村学校办学条件将全面改善，乡村教师队伍全面加强。"


@pytest.fixture
def stored(config_path: Path) -> Path:  # noqa: F811
    """The 桓台 plan (document 1) and a news page naming it (document 2), monitored."""
    db = Database(load_config(config_path).database.url)
    store = Store(db)
    store.sync_portals(load_config(config_path).portals)
    run_id = Runs(db).open("huantai", full=True)
    store.save_document(record(), run_id)
    store.save_document(record(body=NEWS, url="http://www.huantai.gov.cn/doc/2.html", title="我县乡村教育振兴有了路线图",
                               title_key="路线图", doc_no=None, written_date=date(2023, 9, 20)), run_id)
    run_monitor(db, now=datetime(2026, 11, 20, 9, 30))
    db.dispose()
    return config_path


def test_eval_reports_the_test_part_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "classifier", "eval", "--json")
    assert code == 0
    parts = json.loads(out)["parts"]
    assert [p["name"] for p in parts] == ["test", "dev", "train"]
    assert parts[0]["precision"] >= 0.95 and parts[0]["recall"] >= 0.95
    assert set(parts[0]["confusion"]) == {"tp", "fp", "tn", "fn"}
    code, out, _ = run(capsys, "classifier", "eval")
    assert code == 0 and out.splitlines()[1].split()[:3] == ["part", "documents", "precision"]


def test_eval_of_a_users_labels_shows_each_error_with_its_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "mine.jsonl"
    entries = [
        {"id": "a", "label": True, "title": "某县小学办学条件改善方案", "body": "一、改造校舍。二、配齐设备。"},
        {"id": "b", "label": False, "title": "某县乡村学校提质行动方案", "body": "乡村学校办学条件改善。" * 30},
    ]
    labels.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in entries), encoding="utf-8")
    code, out, _ = run(capsys, "classifier", "eval", "--labels", str(labels), "--json")
    [part] = json.loads(out)["parts"]
    assert part["confusion"] == {"tp": 0, "fp": 1, "tn": 0, "fn": 1}
    errors = {e["id"]: e for e in part["errors"]}
    assert errors["b"]["genre"] == "plan" and any(e["phrase"] == "乡村学校" for e in errors["b"]["evidence"])
    code, out, _ = run(capsys, "classifier", "eval", "--labels", str(labels))
    assert "a (missed plan)" in out and "b (false plan)" in out and "evidence: " in out
    code, _, err = run(capsys, "classifier", "eval", "--labels", str(tmp_path / "none.jsonl"))
    assert code == 2 and "none.jsonl" in err


def test_label_then_export(stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--config", str(stored), "label", "2", "--not-plan", "--note", "新闻", "--by", "王老师")
    assert code == 0 and "labelled not a rural-education plan" in out
    export = tmp_path / "labels.jsonl"
    code, out, _ = run(capsys, "--config", str(stored), "label", "--export", str(export))
    assert code == 0 and "exported 1" in out
    [entry] = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert (entry["label"], entry["reason"], entry["labelled_by"]) == (False, "新闻", "王老师")
    code, out, _ = run(capsys, "classifier", "eval", "--labels", str(export), "--json")
    assert code == 0 and json.loads(out)["parts"][0]["documents"] == 1
    code, _, err = run(capsys, "--config", str(stored), "label", "7", "--plan")
    assert code == 1 and "no document with id 7" in err
    code, _, err = run(capsys, "--config", str(stored), "label", "1")
    assert code == 2


def test_show_lists_related_pages(stored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--config", str(stored), "show", "1")
    assert code == 0 and "相关页面: #2 我县乡村教育振兴有了路线图" in out
    code, out, _ = run(capsys, "--config", str(stored), "show", "2", "--json")
    related = json.loads(out)["related"]
    assert related == [{"id": 1, "role": "plan", "title": record().title, "via": "title", "key": "桓台县推进乡村教育振兴工作方案"}]
