"""Apprise channels from a user's config through ``eduwatch subscribers | notify | alerts``.

The config is written as the README shows (``apprise = [...]`` in ``[[subscribers]]``); the
robots are the local DingTalk and Feishu imitations. No output may carry a token or a secret.
"""

from __future__ import annotations

import json
import re

import pytest

from eduwatch.config import ConfigError, load_config
from localportals.robots import DingTalkServer, FeishuServer
from tests.alerts.conftest import add_plan, run_cli
from tests.config_fixtures import ConfigFile

DT_TOKEN, DT_SECRET = "9f3ad1e07c2b0001", "SEC5e0c2d4b6a8f1e3d"
FS_TOKEN = "3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0002"
SECRETS = (DT_TOKEN, DT_SECRET, FS_TOKEN)


def _tables(dingtalk: DingTalkServer, feishu: FeishuServer, urls: list[str] | None = None) -> str:
    urls = urls if urls is not None else [dingtalk.url(DT_TOKEN), feishu.url(FS_TOKEN)]
    return "[[subscribers]]\nname = \"desk\"\napprise = " + json.dumps(urls) + "\nregions = [\"广东省\"]\n"


@pytest.fixture
def config(config_file: ConfigFile, dingtalk: DingTalkServer, feishu: FeishuServer) -> str:
    return str(config_file("huilai", tables=_tables(dingtalk, feishu)))


def test_a_subscriber_with_only_apprise_urls_is_listed_masked(config, capsys, dingtalk):
    code, out, _ = run_cli(capsys, "--config", config, "subscribers", "list", "--json")
    (view,) = json.loads(out)
    assert code == 0 and view["apprise"] == [
        f"DingTalk robot ****0001 at 127.0.0.1:{dingtalk.port}", f"Feishu bot ****0002 at 127.0.0.1:{view['apprise'][1].rsplit(':', 1)[1]}"]
    code, table, _ = run_cli(capsys, "--config", config, "subscribers", "list")
    assert code == 0 and "DingTalk robot ****0001" in table
    assert not any(secret in out + table for secret in SECRETS)


def test_notify_sends_to_both_robots_once_and_alerts_lists_them(config, sqlite_url, capsys, dingtalk, feishu):
    run_cli(capsys, "--config", config, "subscribers", "list")  # syncs the config's subscribers
    add_plan(sqlite_url)
    code, dry, _ = run_cli(capsys, "--config", config, "notify", "--dry-run")
    assert code == 0 and "apprise to DingTalk robot ****0001" in dry and "apprise to Feishu bot ****0002" in dry
    assert dingtalk.answers == [] and feishu.answers == []
    code, out, _ = run_cli(capsys, "--config", config, "notify")
    assert code == 0 and out.startswith("sent 2,")
    assert (len(dingtalk.accepted), len(feishu.accepted), dingtalk.codes()) == (1, 1, [0])  # signed: accepted
    assert run_cli(capsys, "--config", config, "notify")[1].startswith("sent 0,")
    code, listed, _ = run_cli(capsys, "--config", config, "alerts", "--json")
    items = json.loads(listed)["alerts"]
    assert {(i["channel"], i["status"], i["attempts"]) for i in items} == {("apprise", "sent", 1)} and len(items) == 2
    assert not any(secret in dry + out + listed for secret in SECRETS)


def test_subscribers_test_reaches_each_robot(config, capsys, dingtalk, feishu):
    code, out, _ = run_cli(capsys, "--config", config, "subscribers", "test", "desk")
    assert code == 0 and "apprise: sent to DingTalk robot ****0001" in out and "apprise: sent to Feishu bot" in out
    assert len(dingtalk.accepted) == 1 and len(feishu.accepted) == 1
    dingtalk.robots[DT_TOKEN] = "SECsomethingelse0"  # the robot's secret was changed in DingTalk
    code, out, _ = run_cli(capsys, "--config", config, "subscribers", "test", "desk")
    assert code == 1 and "FAILED: DingTalk errcode 310000" in out and DT_SECRET not in out


@pytest.mark.parametrize("url, said", [
    ("ftp://files.example.org/x", "Apprise cannot send to this ftp:// URL"),
    ("http://oapi.dingtalk.com/robot/send?access_token=abcdef", "must be https://"),
    ("dingtalk://SECabc@not a token/", "is not a URL"),
    ("feishu://bad$token", "a Feishu URL that does not parse"),
])
def test_a_bad_apprise_url_is_refused_at_load_naming_the_line(config_file, dingtalk, feishu, url, said):
    path = config_file("huilai", tables=_tables(dingtalk, feishu, [dingtalk.url(DT_TOKEN), url]))
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = str(refused.value)
    assert "subscribers[desk]" in message and "apprise" in message and said in message
    assert "entry 2" in message and re.search(r"eduwatch\.toml:\d+: ", message)  # the line
    assert DT_SECRET not in message and "abcdef" not in message
