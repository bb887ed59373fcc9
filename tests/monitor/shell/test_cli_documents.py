"""`eduwatch documents|show|portals` and configuration errors, on a store filled without a crawler."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from eduwatch.config import load_config
from monitor.shell.cli import main
from storage.database import Database
from storage.records import AttachmentRecord, DocumentRecord
from storage.runs import Runs
from storage.store import Store
from tests.config_fixtures import ConfigFile, portal
from tests.monitor.json_times import assert_utc_times


@pytest.fixture
def config_path(config_file: ConfigFile) -> Path:
    return config_file("huilai", "jieyang")


@pytest.fixture
def filled(config_path: Path) -> Path:
    db = Database(load_config(config_path).database.url)
    store = Store(db)
    store.sync_portals(load_config(config_path).portals)
    record = DocumentRecord(
        portal="huilai",
        url="http://www.huilai.gov.cn/gkmlpt/content/1/1000/post_1000001.html",
        title="惠来县人民政府办公室关于印发惠来县“百县千镇万村高质量发展工程”教育行动方案(2023-2027年)的通知",
        title_key="惠来县教育行动方案",
        body="各镇人民政府(场),县府直属各单位:\n现印发给你们,请认真组织实施。",
        index_no="114452240070359782/2023-00093",
        index_no_raw="114452240070359782/2023-00093",
        doc_no="惠府办函〔2023〕260号",
        doc_no_raw="惠府办函〔2023〕260号",
        publisher="惠来县人民政府办公室",
        category="科技、教育、通知",
        written_date=date(2023, 10, 12),
        published_date=date(2023, 11, 10),
        site="www.huilai.gov.cn",
        attachments=[AttachmentRecord(name="行动方案.docx", url="http://www.huilai.gov.cn/attachment/0/1/1/1000001.docx", type="docx", text="正文")],
    )
    store.save_document(record, Runs(store.db).open("huilai", full=False))
    repost = DocumentRecord(**{**record.__dict__, "portal": "jieyang", "url": "http://www.jieyang.gov.cn/p/9.html",
                               "index_no": None, "site": "www.jieyang.gov.cn", "attachments": []})
    store.save_document(repost, Runs(store.db).open("jieyang", full=False))
    db.dispose()
    return config_path


def test_documents_json_has_the_contract_fields(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(filled), "documents", "--json"]) == 0
    [document] = json.loads(capsys.readouterr().out)
    assert document["doc_no"] == "惠府办函〔2023〕260号"
    assert document["index_no"] == "114452240070359782/2023-00093"
    assert document["written_date"] == "2023-10-12" and document["published_date"] == "2023-11-10"
    assert document["portals"] == ["huilai", "jieyang"]
    assert len(document["urls"]) == 2
    assert document["attachments"] == [
        {"name": "行动方案.docx", "url": "http://www.huilai.gov.cn/attachment/0/1/1/1000001.docx", "type": "docx"}
    ]
    assert document["body_chars"] == len("各镇人民政府(场),县府直属各单位:\n现印发给你们,请认真组织实施。")
    for key in ("id", "title", "publisher", "category", "first_seen", "last_seen", "is_rural_plan",
                "rural_score", "validity", "revision_count", "last_changed"):
        assert key in document
    assert len(assert_utc_times(document)) == 2  # first_seen, last_seen (no revision yet); the days stay days


def test_documents_filters(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(filled), "documents", "--portal", "jieyang", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert main(["--config", str(filled), "documents", "--since", "2999-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_show_json_adds_body_and_sources(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(filled), "show", "1", "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["body"].startswith("各镇人民政府")
    assert [s["portal"] for s in view["sources"]] == ["huilai", "jieyang"]
    assert len(assert_utc_times(view)) == 2 + 2 * 2  # the document's two times, each source's two
    assert main(["--config", str(filled), "show", "99"]) == 1


def test_show_text_and_documents_table(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(filled), "show", "1"]) == 0
    out = capsys.readouterr().out
    assert "文号: 惠府办函〔2023〕260号" in out and "来源: jieyang  http://www.jieyang.gov.cn/p/9.html" in out
    assert main(["--config", str(filled), "documents"]) == 0
    assert "惠府办函〔2023〕260号" in capsys.readouterr().out


def test_portals_lists_last_crawl(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(filled), "portals"]) == 0
    out = capsys.readouterr().out
    assert "huilai" in out and "running" in out  # the fixture never finished its runs


def test_bad_config_exits_2_naming_file_and_key(config_file: ConfigFile, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_file(portal("huilai", platform="gkmplt"), "jieyang", database_url="sqlite:///x.db", name="bad.toml")
    assert main(["--config", str(path), "documents"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "[portals[huilai]] platform" in err and "'gkmplt'" in err


def test_unknown_portal_is_a_usage_error(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(filled), "documents", "--portal", "nowhere"]) == 2
    assert "no portal named 'nowhere'" in capsys.readouterr().err
