"""``eduwatch alerts | notify | subscribers`` through the real command line entry point."""

from __future__ import annotations

import json
import re

import pytest

from storage.database import Database
from tests.alerts.conftest import add_document, add_event, add_plan, add_portal, alert_tables, run_cli
from tests.config_fixtures import ConfigFile
from tests.monitor.json_times import assert_utc_times


@pytest.fixture
def setup(config_file: ConfigFile, sqlite_url: str, smtp, wecom) -> tuple[str, str]:
    """(config path, database URL): one portal, e-mail and one subscriber on the local servers."""
    return str(config_file("huilai", tables=alert_tables(smtp, wecom))), sqlite_url


def test_subscribers_add_list_remove(setup, capsys):
    config, _ = setup
    code, out, _ = run_cli(capsys, "--config", config, "subscribers", "add", "li", "--email", "li@example.org",
                        "--keyword", "学前教育", "--event", "new_plan", "--event", "plan_revised", "--digest")
    assert code == 0
    code, out, _ = run_cli(capsys, "--config", config, "subscribers", "list", "--json")
    views = {v["name"]: v for v in json.loads(out)}
    assert views["li"]["events"] == ["new_plan", "plan_revised"] and views["li"]["digest"] is True
    assert views["team"]["origin"] == "config"
    assert views["team"]["wecom_webhook"].endswith("key=****0001")
    assert "alpha-key-0001" not in out
    assert run_cli(capsys, "--config", config, "subscribers", "remove", "team")[0] == 2  # config-owned
    assert run_cli(capsys, "--config", config, "subscribers", "remove", "li")[0] == 0
    code, out, _ = run_cli(capsys, "--config", config, "subscribers", "list")
    assert "li@example.org" not in out and "team@example.org" in out


def test_notify_dry_run_then_send_and_list(setup, capsys, smtp, wecom):
    config, db_url = setup
    run_cli(capsys, "--config", config, "subscribers", "list")  # syncs config subscribers into the database
    add_plan(db_url)
    code, out, _ = run_cli(capsys, "--config", config, "notify", "--dry-run")
    assert code == 0 and "email to team@example.org" in out and "wecom to" in out and "key=****0001" in out
    assert "alpha-key-0001" not in out
    assert smtp.messages == [] and wecom.accepted == []

    code, out, _ = run_cli(capsys, "--config", config, "notify")
    assert code == 0 and out.startswith("sent 2,")
    assert len(smtp.messages) == 1 and len(wecom.accepted) == 1

    code, out, _ = run_cli(capsys, "--config", config, "alerts", "--json")
    items = json.loads(out)["alerts"]
    assert {(i["subscriber"], i["channel"], i["status"], i["attempts"]) for i in items} == {
        ("team", "email", "sent", 1), ("team", "wecom", "sent", 1)}
    for key in ("id", "event_id", "subscriber", "channel", "status", "attempts", "last_error", "sent_at"):
        assert all(key in i for i in items)
    assert len(assert_utc_times(items)) == 4  # each alert's created_at and sent_at, UTC with Z


def test_broken_webhook_is_shown_and_retry_requeues(setup, capsys, wecom):
    config, db_url = setup
    wecom.keys.discard("alpha-key-0001")  # the robot was deleted: 93000
    run_cli(capsys, "--config", config, "subscribers", "list")
    add_plan(db_url)
    code, out, _ = run_cli(capsys, "--config", config, "notify")
    assert code == 1
    code, out, err = run_cli(capsys, "--config", config, "alerts", "--status", "dead")
    assert "WeCom webhook of subscriber team is wrong" in err and "93000" in out + err
    assert "alpha-key-0001" not in out + err
    wecom.keys.add("alpha-key-0001")  # fixed by the operator
    code, out, _ = run_cli(capsys, "--config", config, "alerts", "retry", "--dead")
    assert code == 0 and out.startswith("1 alert(s) queued again")
    code, out, _ = run_cli(capsys, "--config", config, "notify")
    assert code == 0 and len(wecom.accepted) == 1


def test_subscribers_test_sends_on_each_channel(setup, capsys, smtp, wecom):
    config, _ = setup
    code, out, _ = run_cli(capsys, "--config", config, "subscribers", "test", "team")
    assert code == 0 and "email: sent to team@example.org" in out and "wecom: sent to" in out
    assert "alpha-key-0001" not in out and "key=****0001" in out
    assert len(smtp.messages) == 1 and "测试消息" in smtp.messages[0]["Subject"]
    assert len(wecom.accepted) == 1
    wecom.keys.discard("alpha-key-0001")
    code, out, _ = run_cli(capsys, "--config", config, "subscribers", "test", "team")
    assert code == 1 and "wecom: FAILED: errcode 93000" in out


def test_retry_by_id(setup, capsys, wecom):
    config, db_url = setup
    wecom.busy = 1
    run_cli(capsys, "--config", config, "subscribers", "list")
    add_plan(db_url)
    assert run_cli(capsys, "--config", config, "notify")[0] == 1
    code, out, _ = run_cli(capsys, "--config", config, "alerts", "--status", "failed", "--json")
    failed = json.loads(out)["alerts"]
    assert len(failed) == 1 and "errcode -1" in failed[0]["last_error"]
    code, out, _ = run_cli(capsys, "--config", config, "alerts", "retry", str(failed[0]["id"]))
    assert code == 0 and out.startswith("1 alert(s)")
    assert run_cli(capsys, "--config", config, "notify")[0] == 0
    assert len(wecom.accepted) == 1


def test_notify_says_what_waits_for_the_rate_limit(config_file: ConfigFile, sqlite_url: str, capsys, wecom):
    config, db_url = str(config_file("huilai", tables=f"""
[alerts.wecom]
rate_per_minute = 1
[[subscribers]]
name = "group"
wecom_webhook = "{wecom.url('gamma-key-0003')}"
""")), sqlite_url
    run_cli(capsys, "--config", config, "subscribers", "list")
    db = Database(db_url)
    with db.transaction() as session:
        portal = add_portal(session)
        for title in ("乡村教育振兴行动方案", "乡村学校建设方案"):
            add_event(session, add_document(session, portal, title), portal)
    db.dispose()
    waits = re.compile(r"^1 waiting for the WeCom rate limit, next at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 北京时间", re.MULTILINE)
    code, out, _ = run_cli(capsys, "--config", config, "notify")
    assert code == 0 and out.startswith("sent 1,") and waits.search(out)
    code, out, _ = run_cli(capsys, "--config", config, "notify")  # again, within the minute
    assert code == 0 and out.startswith("sent 0,") and waits.search(out)
    assert len(wecom.accepted) == 1


def test_notify_and_alerts_say_a_channel_is_paused_and_until_when(setup, capsys, smtp, wecom):
    config, db_url = setup
    run_cli(capsys, "--config", config, "subscribers", "list")
    add_plan(db_url)
    smtp.stop()  # the mail server goes away: refused
    code, out, _ = run_cli(capsys, "--config", config, "notify")
    assert code == 1 and out.startswith("sent 1, failed 0 (will retry), dead 0, skipped 0, 1 waiting for a paused channel")
    assert re.search(r"e-mail \(SMTP server\) paused until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC after 1 failure", out)
    assert "skipped:" not in out
    code, out, err = run_cli(capsys, "--config", config, "alerts", "--json")
    view = json.loads(out)
    [pause] = view["channel_pauses"]
    assert pause["channel"] == "email" and pause["until"].endswith("Z") and pause["failures"] == 1
    assert {(i["channel"], i["status"], i["attempts"]) for i in view["alerts"]} == {("email", "pending", 0), ("wecom", "sent", 1)}
    code, out, err = run_cli(capsys, "--config", config, "alerts")
    assert "WARNING: e-mail (SMTP server) paused until" in err
