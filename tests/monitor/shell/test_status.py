"""`eduwatch status` tells the operator about a WeCom webhook that WeCom rejected (93000)."""

from __future__ import annotations

from eduwatch.config import parse_config
from monitor.shell.status import collect_status, format_status
from storage.database import Database
from storage.models import Subscriber
from tests.config_fixtures import config_toml


def test_status_names_a_subscriber_whose_webhook_is_wrong(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as session:
        session.add(Subscriber(name="规划科", wecom_webhook="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET1234",
                               wecom_error="93000 invalid webhook url"))
        session.add(Subscriber(name="研究所", email="a@example.org"))
    status = collect_status(sqlite_db, parse_config(config_toml("huilai")))
    assert status["webhook_problems"] == [{"subscriber": "规划科", "error": "93000 invalid webhook url"}]
    text = format_status(status)
    assert "subscriber 规划科: WeCom webhook needs fixing — 93000 invalid webhook url" in text
    assert "研究所" not in text and "SECRET1234" not in text
