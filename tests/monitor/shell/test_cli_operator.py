"""Operator-facing output of the ``eduwatch`` CLI: clear refusals, readable tables, --json."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from localportals import samples
from monitor.shell.cli import main
from monitor.shell.cli.crawl import print_summaries
from monitor.shell.cli.table import cut, display_width
from storage.database import Database
from storage.locks import Locks
from storage.runs import RunOutcome, RunSummary, Runs
from tests.alerts.conftest import add_plan, alert_tables, run_cli, smtp, wecom  # noqa: F401 — fixtures
from tests.config_fixtures import ConfigFile
from tests.crawler.crawl_support import write_config
from tests.monitor.json_times import assert_utc_times


@pytest.fixture
def alerts_config(config_file: ConfigFile, sqlite_url: str, smtp, wecom) -> tuple[str, str]:  # noqa: F811
    """(config path, database URL): portal huilai, e-mail and one subscriber on the local servers."""
    return str(config_file("huilai", tables=alert_tables(smtp, wecom))), sqlite_url


def test_retry_of_an_alert_that_does_not_exist_is_refused(alerts_config, capsys, wecom) -> None:  # noqa: F811
    config, db_url = alerts_config
    wecom.busy = 1  # the WeCom alert fails once, so there is one failed alert to retry
    run_cli(capsys, "--config", config, "subscribers", "list")
    add_plan(db_url)
    assert run_cli(capsys, "--config", config, "notify")[0] == 1
    failed = json.loads(run_cli(capsys, "--config", config, "alerts", "--status", "failed", "--json")[1])["alerts"]
    assert len(failed) == 1

    code, out, err = run_cli(capsys, "--config", config, "alerts", "retry", "999")
    assert code == 2 and "no alert 999" in err and out == ""

    code, out, err = run_cli(capsys, "--config", config, "alerts", "retry", str(failed[0]["id"]), "999")
    assert code == 2 and "no alert 999" in err
    still = json.loads(run_cli(capsys, "--config", config, "alerts", "--status", "failed", "--json")[1])["alerts"]
    assert [a["id"] for a in still] == [failed[0]["id"]]  # nothing half-done

    sent = json.loads(run_cli(capsys, "--config", config, "alerts", "--status", "sent", "--json")[1])["alerts"]
    code, out, err = run_cli(capsys, "--config", config, "alerts", "retry", str(sent[0]["id"]))
    assert code == 1 and f"alert {sent[0]['id']} is sent, not failed or dead" in err


def _finished_run(config: str, db_url: str, *, status: str = "ok", reason: str | None = None) -> None:
    """A crawl run of portal huilai as the crawler records one."""
    main(["--config", config, "portals"])  # creates the portal row
    db = Database(db_url)
    runs = Runs(db)
    run = runs.open("huilai", full=False)
    if status == "ok":
        runs.close(run, RunOutcome(pages_fetched=3))
    else:
        runs.cancel(run, reason or status, pages_fetched=3)
    db.dispose()


TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?Z?")


def test_every_human_table_shows_times_alike(alerts_config, capsys) -> None:
    config, db_url = alerts_config
    run_cli(capsys, "--config", config, "subscribers", "list")
    add_plan(db_url)
    _finished_run(config, db_url)
    capsys.readouterr()
    assert run_cli(capsys, "--config", config, "notify")[0] == 0
    shown = {}
    for command in ("portals", "alerts", "status", "events"):
        code, out, _ = run_cli(capsys, "--config", config, command)
        assert code == 0
        shown[command] = TIME.findall(out)
        assert "(北京时间)" in out, command
    assert all(shown.values()), shown  # each command printed at least one time
    for command, times in shown.items():
        for text in times:
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text), (command, text)


def test_every_json_view_writes_times_as_utc_with_z(alerts_config, capsys) -> None:
    config, db_url = alerts_config
    run_cli(capsys, "--config", config, "subscribers", "list")
    add_plan(db_url)
    _finished_run(config, db_url)
    db = Database(db_url)
    locks = Locks(db)
    assert locks.acquire("daemon", "daemon@test", ttl=60)  # status then shows its start and heartbeat
    locks.publish("schedule:huilai", "daemon@test", locks.now() + timedelta(hours=1))
    db.dispose()
    assert run_cli(capsys, "--config", config, "notify")[0] == 0  # alerts get a sent_at
    commands = {  # command -> does its view hold a time?
        ("status",): True, ("portals",): True, ("documents",): True, ("show", "1"): True,
        ("events",): True, ("alerts",): True, ("subscribers", "list"): False, ("classify", "1"): False,
    }
    for command, has_times in commands.items():
        code, out, _ = run_cli(capsys, "--config", config, *command, "--json")
        assert code == 0, command
        times = assert_utc_times(json.loads(out))
        assert bool(times) == has_times, (command, times)


def test_notify_says_what_it_skipped_and_why(alerts_config, capsys, wecom) -> None:  # noqa: F811
    config, db_url = alerts_config
    wecom.keys.discard("alpha-key-0001")  # the robot was deleted: WeCom answers 93000
    assert run_cli(capsys, "--config", config, "subscribers", "add", "li", "--email", "li@example.org",
                "--region", "广东省", "--digest")[0] == 0
    add_plan(db_url)
    code, out, _ = run_cli(capsys, "--config", config, "notify")
    assert code == 1 and "dead 1" in out  # team's WeCom alert; its webhook is now known to be wrong

    add_plan(db_url)
    code, out, _ = run_cli(capsys, "--config", config, "notify")
    assert code == 0 and out.startswith("sent 1,") and "skipped 3" in out
    lines = out.splitlines()
    assert ("  1 skipped: WeCom rejected the webhook key of subscriber team; fix it in the configuration, "
            "then: eduwatch alerts retry --dead") in lines
    assert any(line.startswith("  2 skipped: digest not due yet: it goes out once its crawl run is monitored")
               for line in lines), out


LONG_REASON = ("3 list page(s) could not be read: http://www.huilai.gov.cn/gkmlpt/api/all/5?page=2&sid=757000: "
               "HTTP 502 Bad Gateway\n<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 300)


def test_long_reasons_are_cut_in_tables_and_whole_in_json(alerts_config, capsys) -> None:
    config, db_url = alerts_config
    _finished_run(config, db_url, status="failed", reason=LONG_REASON)
    capsys.readouterr()
    for command in ("portals", "status"):
        code, out, _ = run_cli(capsys, "--config", config, command)
        assert code == 0 and "could not be read" in out and "…" in out, command
        assert max(display_width(line) for line in out.splitlines()) <= 160, (command, out)
    code, out, _ = run_cli(capsys, "--config", config, "status", "--json")
    assert json.loads(out)["portals"][0]["last_crawl"]["reason"] == LONG_REASON

    print_summaries([RunSummary(1, "huilai", "failed", LONG_REASON, 3, 0, 0, 3)])
    out = capsys.readouterr().out
    assert "could not be read" in out and max(display_width(line) for line in out.splitlines()) <= 120


def test_cut_counts_wide_characters_as_two_columns() -> None:
    assert cut("乡村教育振兴行动方案", 20) == "乡村教育振兴行动方案"
    assert cut("乡村教育振兴行动方案", 9) == "乡村教育…"
    assert cut("line one\n  line two", 40) == "line one line two"


def test_portals_json(alerts_config, capsys) -> None:
    config, db_url = alerts_config
    code, out, _ = run_cli(capsys, "--config", config, "portals", "--json")
    assert code == 0
    assert json.loads(out) == [{
        "portal": "huilai", "title": "惠来县人民政府", "platform": "gkmlpt", "region": "广东省揭阳市惠来县",
        "base_url": "http://www.huilai.gov.cn", "enabled": True, "last_crawl": None, "freshness": None,
    }]
    _finished_run(config, db_url, status="failed", reason=LONG_REASON)
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "--config", config, "portals", "--json")
    last = json.loads(out)[0]["last_crawl"]
    assert last["status"] == "failed" and last["reason"] == LONG_REASON and last["pages"] == 3
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", last["started"]) and last["finished"] >= last["started"]
    code, status_out, _ = run_cli(capsys, "--config", config, "status", "--json")
    shared = json.loads(status_out)["portals"][0]["last_crawl"]
    assert {key: last[key] for key in shared} == shared  # the same run, described alike


def test_crawl_and_status_say_a_list_was_cut_at_max_list_pages(tmp_path: Path, serve_portal, sqlite_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site("trs", 30, page_size=5, edu_every=0)  # 6 list pages
    config = write_config(tmp_path / "capped.toml", sqlite_url, [serve_portal(site)], max_list_pages=2)
    code, out, _ = run_cli(capsys, "--config", config, "crawl", "--full")
    row = next(line for line in out.splitlines() if line.startswith(site.name))
    assert code == 0 and " ok " in row and "stopped at max_list_pages=2 on http://" in row, out
    code, out, _ = run_cli(capsys, "--config", config, "status")
    row = next(line for line in out.splitlines() if line.startswith(site.name))
    assert code == 0 and " ok " in row and "stopped at max_list_pages=2 on http://" in row, out
