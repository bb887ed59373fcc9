"""`eduwatch events | diff | classify | reclassify` on a store filled and monitored without a crawler."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from eduwatch.config import load_config
from monitor.shell.cli import main
from monitor.changes.revisions import run_monitor
from storage.database import Database
from storage.models import Document
from storage.records import DocumentRecord
from storage.runs import Runs
from storage.store import Store
from tests.monitor.json_times import assert_utc_times

SEED = (Path(__file__).parent.parent / "fixtures" / "seed_000_huantai.txt").read_text(encoding="utf-8")
TITLE = "桓台县人民政府办公室关于印发桓台县推进乡村教育振兴工作方案的通知"
CONFIG = """
[database]
url = "{url}"
[[portals]]
name = "huantai"
title = "桓台县人民政府"
region = "山东省淄博市桓台县"
platform = "generic"
base_url = "http://www.huantai.gov.cn"
list_urls = ["http://www.huantai.gov.cn/col/col1/index.html"]
detail_pattern = "/doc/\\\\d+\\\\.html"
"""


def record(body: str = SEED, **changes) -> DocumentRecord:
    fields = dict(
        portal="huantai", url="http://www.huantai.gov.cn/doc/1.html", title=TITLE, title_key="桓台乡村教育振兴",
        body=body, doc_no="桓政办字〔2023〕18号", publisher="桓台县人民政府办公室",
        written_date=date(2023, 9, 18), validity="有效", site="www.huantai.gov.cn",
    )
    fields.update(changes)
    return DocumentRecord(**fields)


@pytest.fixture
def config_path(tmp_path: Path, sqlite_url: str) -> Path:
    path = tmp_path / "eduwatch.toml"
    path.write_text(CONFIG.format(url=sqlite_url), encoding="utf-8")
    return path


@pytest.fixture
def monitored(config_path: Path) -> Path:
    """Three passes: first seen (Nov 20), one sentence edited (Nov 21), abolished (Nov 22)."""
    db = Database(load_config(config_path).database.url)
    store = Store(db)
    store.sync_portals(load_config(config_path).portals)
    edited = SEED.replace("到2025年实现结对全覆盖", "到2026年实现结对全覆盖")
    for day, rec in ((20, record()), (21, record(edited)), (22, record(edited, validity="废止"))):
        store.save_document(rec, Runs(store.db).open("huantai", full=True))
        run_monitor(db, now=datetime(2026, 11, day, 9, 30))
    db.dispose()
    return config_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_events_json(monitored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--config", str(monitored), "events", "--json")
    assert code == 0
    items = json.loads(out)
    assert [(i["id"], i["kind"], i["document_id"], i["at"], i["is_rural_plan"]) for i in items] == [
        (1, "new", 1, "2026-11-20T09:30:00Z", True),
        (2, "revised", 1, "2026-11-21T09:30:00Z", True),
        (3, "commitment_changed", 1, "2026-11-21T09:30:00Z", True),  # the edit moved a deadline
        (4, "abolished", 1, "2026-11-22T09:30:00Z", True),
    ]
    assert items[0]["summary"] == f"新文件：{TITLE}"
    assert items[1]["summary"] == "二、主要任务（六）实施城乡教育协同发展行动：到2025年实现结对全覆盖 → 到2026年实现结对全覆盖"
    assert items[1]["details"]["from_revision"] == 1 and items[1]["details"]["to_revision"] == 2
    assert items[2]["details"]["commitments"][0]["line"] == "结对：100%（2025-12-31） → 100%（2026-12-31）"
    assert items[3]["summary"] == f"已废止：{TITLE}"
    assert len(assert_utc_times(items)) == 4  # each event's `at`; the days in its details stay days


def test_events_filters_and_table(monitored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--config", str(monitored), "events", "--json", "--since", "2026-11-21", "--kind", "revised")
    assert [i["id"] for i in json.loads(out)] == [2]
    _, out, _ = run(capsys, "--config", str(monitored), "events", "--json", "--since", "2026-11-22T10:30+01:00")
    assert [i["kind"] for i in json.loads(out)] == ["abolished"], "10:30+01:00 is 09:30 UTC"
    code, out, _ = run(capsys, "--config", str(monitored), "events")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["id", "at", "(北京时间)", "kind", "doc", "plan", "summary"]
    assert lines[3].split()[:5] == ["2", "2026-11-21", "17:30:00", "revised", "1"], "09:30 UTC is 17:30 in Beijing"
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(monitored), "events", "--since", "yesterday"])
    assert exit_.value.code == 2
    assert "not a date or datetime: 'yesterday'" in capsys.readouterr().err


def test_diff_default_last_two_text_and_html(monitored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--config", str(monitored), "diff", "1")
    assert code == 0
    assert out.splitlines() == [
        f"{TITLE}：第2版 → 第3版",
        "有效性：有效 → 废止",
        "无实质变化",
    ], "revision 3 only changed validity: no text difference"
    code, out, _ = run(capsys, "--config", str(monitored), "diff", "1", "--rev", "1", "--rev", "2")
    assert out.splitlines() == [
        f"{TITLE}：第1版 → 第2版",
        "二、主要任务（六）实施城乡教育协同发展行动：到2025年实现结对全覆盖 → 到2026年实现结对全覆盖",
        "",
        "持续推进强校扩优行动，指导城区优质学校与乡村学校结对共建，实施捆绑评价制度，科学有效扩大优质教育资源，"
        "到202【-5】【+6】年实现结对全覆盖。",
    ]
    code, out, _ = run(capsys, "--config", str(monitored), "diff", "1", "--rev", "1", "--rev", "2", "--html")
    assert code == 0 and "到202<del>5</del><ins>6</ins>年实现结对全覆盖。" in out
    code, out, _ = run(capsys, "--config", str(monitored), "diff", "1", "--rev", "1", "--rev", "2", "--full")
    assert out.count("\n") > 25 and out.count("【") == 2


def test_diff_errors(monitored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--config", str(monitored), "diff", "1", "--rev", "1")
    assert code == 2 and "give --rev twice" in err
    code, _, err = run(capsys, "--config", str(monitored), "diff", "1", "--rev", "1", "--rev", "9")
    assert code == 1 and "document 1 has no revision 9 (it has 1, 2, 3)" in err
    code, _, err = run(capsys, "--config", str(monitored), "diff", "42")
    assert code == 1 and "no document with id 42" in err


def test_classify_and_reclassify(monitored: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--config", str(monitored), "classify", "1", "--json")
    result = json.loads(out)
    assert code == 0 and result["is_rural_plan"] is True and result["stored_is_rural_plan"] is True
    assert result["score"] > 0 and any(e["phrase"] == "乡村教育振兴" for e in result["evidence"])
    code, out, _ = run(capsys, "--config", str(monitored), "classify", "1")
    assert code == 0 and out.splitlines()[0] == TITLE and "rural-education plan: yes" in out
    db = Database(load_config(monitored).database.url)
    with db.transaction() as session:
        session.scalars(select(Document)).one().is_rural_plan = False
    db.dispose()
    code, out, _ = run(capsys, "--config", str(monitored), "reclassify")
    assert code == 0 and out.strip() == "reclassified 1 documents; 1 changed verdict: 1"
    code, out, _ = run(capsys, "--config", str(monitored), "reclassify")
    assert out.strip() == "reclassified 1 documents; 0 changed verdict"
    code, _, err = run(capsys, "--config", str(monitored), "classify", "7")
    assert code == 1 and "no document with id 7" in err
