"""A configuration cannot half-load: one case per class of broken file, through the real CLI.

Each runs ``eduwatch config check`` and an ordinary command (``portals``) via the entry point
``monitor.shell.cli:main`` and expects exit 2 with ``file:line: [table] key: problem`` — the
same message from both, since both load the same way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.shell.cli import main
from tests.config_fixtures import config_toml, portal

PORTAL = portal("huilai")


def _toml(*portals, tables: str = "", database_url: str | None = None) -> str:
    return config_toml(*(portals or (PORTAL,)), database_url=database_url, tables=tables)


# (case id, file text, expected message after "<file>:"); line numbers count from line 1,
# config_toml's header comment; [[portals]] huilai is lines 2-7 (name … base_url).
CASES = [
    ("cron-field-out-of-range", _toml(portal("huilai", schedule="61 * * * *")),
     "8: [portals[huilai]] schedule: '61 * * * *' is not a valid cron line"),
    ("cron-weekday-out-of-range", _toml(tables='[daemon]\ndefault_schedule = "0 7 * * 8"\n'),
     "9: [daemon] default_schedule: '0 7 * * 8' is not a valid cron line"),
    ("interval-zero", _toml(portal("huilai", schedule="every 0s")),
     "8: [portals[huilai]] schedule: 'every 0s': an interval must be longer than 0"),
    ("duration-garbage", _toml(tables='[crawl]\nrevisit_after = "weekly"\n'),
     "9: [crawl] revisit_after: 'weekly' is not a duration"),
    ("database-url-unparseable", _toml(database_url="postgres//eduwatch@db/eduwatch"),
     "3: [database] url: 'postgres//eduwatch@db/eduwatch' is not a database URL"),
    ("database-url-unknown-driver", _toml(database_url="postgresql+nosuch://eduwatch@db/eduwatch"),
     "3: [database] url: 'postgresql+nosuch://eduwatch@db/eduwatch': unknown database or driver"),
    ("redis-url", _toml(tables='[redis]\nurl = "http//127.0.0.1:6379/0"\n'),
     "9: [redis] url: 'http//127.0.0.1:6379/0' is not a Redis URL"),
    ("portal-url-bad-port", _toml(portal("huilai", base_url="http://www.huilai.gov.cn:99999")),
     "7: [portals[huilai]] base_url: 'http://www.huilai.gov.cn:99999' is not an http(s) URL"),
    ("portal-list-url", _toml(portal("qingdao-edu", list_urls=["edu.qingdao.gov.cn/index.shtml"])),
     "8: [portals[qingdao-edu]] list_urls: 'edu.qingdao.gov.cn/index.shtml' is not an http(s) URL"),
    ("webhook", _toml(tables='[[subscribers]]\nname = "g"\nwecom_webhook = "qyapi.weixin.qq.com/send?key=1"\n'),
     "10: [subscribers[g]] wecom_webhook: 'qyapi.weixin.qq.com/send?key=***' is not an http(s) URL"),
    ("subscriber-email", _toml(tables='[[subscribers]]\nname = "a"\nemail = "guihua at example.org"\n'),
     "10: [subscribers[a]] email: 'guihua at example.org' is not an e-mail address"),
    ("from-address", _toml(tables='[alerts.email]\nfrom = "eduwatch"\n'),
     "9: [alerts.email] from: 'eduwatch' is not an e-mail address"),
    ("password-env-unset", _toml(tables='[alerts.email]\nusername = "u@example.org"\npassword_env = "EDUWATCH_TEST_UNSET_PW"\n'),
     "10: [alerts.email] password_env: the environment variable EDUWATCH_TEST_UNSET_PW is not set"),
    ("password-env-missing", _toml(tables='[alerts.email]\nusername = "u@example.org"\n'),
     "8: [alerts.email] password_env: required with username"),
    ("subscriber-unknown-portal", _toml(tables='[[subscribers]]\nname = "a"\nemail = "a@example.org"\nportals = ["huilia"]\n'),
     "11: [subscribers[a]] portals: no portal named 'huilia' (known: huilai)"),
    ("subscriber-region-matches-nothing", _toml(tables='[[subscribers]]\nname = "a"\nemail = "a@example.org"\nregions = ["广西"]\n'),
     "11: [subscribers[a]] regions: '广西' is the start of no portal's region"),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_broken_config_exits_2_naming_file_line_and_key(tmp_path: Path, capsys, monkeypatch, text: str, expected: str) -> None:
    monkeypatch.delenv("EDUWATCH_TEST_UNSET_PW", raising=False)
    path = tmp_path / "eduwatch.toml"
    path.write_text(text, encoding="utf-8")
    for argv in (["config", "check", "--config", str(path)], ["--config", str(path), "portals"]):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith(f"eduwatch: configuration error: {path}:{expected}"), err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_file_that_is_not_utf8_is_a_clean_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(_toml().encode("utf-8") + '[[subscribers]]\nname = "揭阳"\n'.encode("gbk"))
    assert main(["config", "check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"eduwatch: configuration error: {path}:9: not UTF-8") and "iconv" in err


@pytest.mark.parametrize(("text", "expected"), [
    ("", "the file is empty"),
    ("\n# only comments\n\n", "the file is empty"),
    ('[database]\nurl = "sqlite:////tmp/x.db"\n', "no [[portals]]: there is nothing to watch"),
], ids=["empty", "whitespace-and-comments", "no-portals"])
def test_an_empty_or_portal_less_file_exits_2(tmp_path: Path, capsys, text: str, expected: str) -> None:
    path = tmp_path / "eduwatch.toml"
    path.write_text(text, encoding="utf-8")
    for argv in (["config", "check", "--config", str(path)], ["--config", str(path), "documents"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"eduwatch: configuration error: {path}: ") and expected in err


def test_config_check_passes_a_good_file_and_the_password_env_when_set(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("EDUWATCH_TEST_SET_PW", "hunter2")
    path = tmp_path / "eduwatch.toml"
    path.write_text(_toml(tables='[alerts.email]\nusername = "u@example.org"\npassword_env = "EDUWATCH_TEST_SET_PW"\n'
                                 'from = "eduwatch <eduwatch@example.org>"\n'
                                 '[[subscribers]]\nname = "a"\nemail = "a@example.org"\nregions = ["广东省"]\n'
                                 'portals = ["huilai"]\n', database_url="postgresql+psycopg://eduwatch:pw@db/eduwatch"),
                    encoding="utf-8")
    assert main(["config", "check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: ok — 1 portal(s)") and "eduwatch:***@db" in out and "hunter2" not in out


@pytest.mark.parametrize("command", [["portals"], ["documents"], ["status"], ["alerts"], ["notify"], ["events"]])
def test_an_unreachable_database_is_one_clear_line(tmp_path: Path, capsys, command: list[str]) -> None:
    path = tmp_path / "eduwatch.toml"
    path.write_text(_toml(database_url="postgresql+psycopg://eduwatch:s3cret@127.0.0.1:1/eduwatch"), encoding="utf-8")
    assert main(["--config", str(path), *command]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("eduwatch: cannot use the database postgresql+psycopg://eduwatch:***@127.0.0.1:1/eduwatch: ")
    assert len(err.strip().splitlines()) == 1 and "s3cret" not in out + err
