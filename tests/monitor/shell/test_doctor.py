"""``eduwatch doctor``: an all-green run against local servers, then one thing broken at a time —
a wrong SMTP password, a portal whose site moved to another family, a database a migration behind."""

from __future__ import annotations

import json
from typing import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from alembic import command

from localportals import samples
from localportals.wecom import WecomServer
from storage.database import Database, alembic_config
from tests.alerts.conftest import run_cli
from tests.alerts.smtp_sink import _Handler, free_port

PASSWORD_ENV = "EDUWATCH_TEST_DOCTOR_SMTP_PASSWORD"
DT_TOKEN, DT_SECRET, FS_TOKEN = "9f3ad1e07c2b0001", "SEC5e0c2d4b6a8f1e3d", "3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0002"


def _authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001 (aiosmtpd's signature)
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"robot" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture
def smtp_port() -> Iterator[int]:
    """A real SMTP server that wants a login (robot / s3cret) and keeps whatever it is sent."""
    handler, port = _Handler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=_authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    yield port
    controller.stop()
    assert handler.messages == []  # doctor sends nothing


@pytest.fixture
def wecom() -> Iterator[WecomServer]:
    server = WecomServer(keys={"alpha-key-0001"}).start()
    yield server
    server.stop()


@pytest.fixture
def setup(config_file, serve_portal, sqlite_url, smtp_port, wecom, monkeypatch):
    """A config whose every check passes: hanweb and gkmlpt portals, SMTP with login, a webhook."""
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    Database(sqlite_url).dispose()  # migrated to head
    hanweb = serve_portal(samples.huantai_jyt_site()).site.portal_config()
    gkmlpt = serve_portal(samples.huilai_site()).site.portal_config()

    def write(**hanweb_changes: object):
        tables = (f'[alerts.email]\nhost = "127.0.0.1"\nport = {smtp_port}\ntimeout = 5\nusername = "robot"\n'
                  f'password_env = "{PASSWORD_ENV}"\n'
                  f'[[subscribers]]\nname = "team"\nemail = "team@example.org"\n'
                  f'wecom_webhook = "{wecom.url("alpha-key-0001")}"\n'
                  f'apprise = ["dingtalk://{DT_SECRET}@{DT_TOKEN}/", "https://open.feishu.cn/open-apis/bot/v2/hook/{FS_TOKEN}"]\n')
        portals = [_entry(hanweb, **hanweb_changes), _entry(gkmlpt)]
        return str(config_file(*portals, crawl={"delay": 0}, tables=tables))

    return write


def _entry(config: dict, **changes: object) -> dict:
    entry = {key: list(value) if isinstance(value, tuple) else value for key, value in config.items()}
    if entry["platform"] == "gkmlpt":
        entry.pop("list_urls", None)
    return {**entry, **changes}


def _doctor(capsys, path: str) -> tuple[int, list[dict]]:
    code, out, _ = run_cli(capsys, "--config", path, "doctor", "--json")
    return code, json.loads(out)


def _failures(checks: list[dict]) -> dict[str, dict]:
    return {check["check"]: check for check in checks if not check["ok"]}


def test_all_green(setup, capsys) -> None:
    path = setup()
    code, checks = _doctor(capsys, path)
    assert code == 0, _failures(checks)
    names = [check["check"] for check in checks]
    assert names[:3] == ["configuration", "database", "smtp"] and names[-1] == "disk"
    assert "webhook team" in names and sum(name.startswith("portal ") for name in names) == 2
    assert all(set(check) == {"check", "ok", "detail", "fix"} for check in checks)
    details = {check["check"]: check["detail"] for check in checks}
    assert details["apprise team #1"] == "DingTalk robot ****0001 at oapi.dingtalk.com, signed"
    assert details["apprise team #2"].startswith("Feishu bot ****0002 at open.feishu.cn, not signed")
    code, out, _ = run_cli(capsys, "--config", path, "doctor")
    assert not any(secret in out for secret in (DT_TOKEN, DT_SECRET, FS_TOKEN))
    assert code == 0 and "all" in out and "checks passed" in out and "FAIL" not in out


def test_wrong_smtp_password(setup, capsys, monkeypatch) -> None:
    path = setup()
    monkeypatch.setenv(PASSWORD_ENV, "not-the-pa55word")
    code, checks = _doctor(capsys, path)
    assert code == 1 and list(_failures(checks)) == ["smtp"]
    failure = _failures(checks)["smtp"]
    assert "login refused" in failure["detail"] and PASSWORD_ENV in failure["fix"]
    assert "not-the-pa55word" not in json.dumps(checks)
    code, out, _ = run_cli(capsys, "--config", path, "doctor")
    assert code == 1 and "FAIL smtp" in out and "fix:" in out


def test_portal_moved_to_another_family(setup, capsys) -> None:
    path = setup(platform="trs")  # the 大汉 site, configured as if it still ran TRS
    code, checks = _doctor(capsys, path)
    failures = _failures(checks)
    assert code == 1 and len(failures) == 1
    (name, failure), = failures.items()
    assert name.startswith("portal ") and "configured as trs, now looks like hanweb" in failure["detail"]
    assert "portals detect" in failure["fix"]


def test_database_behind_on_migrations(setup, sqlite_url, capsys) -> None:
    path = setup()
    db = Database(sqlite_url)
    with db.engine.begin() as connection:
        cfg = alembic_config(db.engine)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "-1")
    db.dispose()
    code, checks = _doctor(capsys, path)
    assert code == 1 and list(_failures(checks)) == ["database"]
    failure = _failures(checks)["database"]
    assert "newest is" in failure["detail"] and "migrates to head" in failure["fix"]


def test_configuration_that_does_not_load(tmp_path, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[crawl]\ndelay = -1\n", encoding="utf-8")
    code, checks = _doctor(capsys, str(path))
    assert code == 1 and [check["check"] for check in checks] == ["configuration"]
