"""The deployment files say what the daemon needs: they are parsed and checked, not just present."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from eduwatch.config import load_config

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


@pytest.fixture(autouse=True)
def _deploy_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secrets the example config names, as deploy/eduwatch.env provides them on a server
    (loading now checks that password_env is set)."""
    monkeypatch.setenv("EDUWATCH_SMTP_PASSWORD", "from-the-env-file")
    monkeypatch.setenv("EDUWATCH_ADMIN_TOKEN", "from-the-env-file")


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def test_example_config_loads_and_keeps_secrets_out() -> None:
    config = load_config(DEPLOY / "eduwatch.example.toml")
    assert config.database.url.startswith("postgresql+psycopg://eduwatch@")  # no password in the URL
    assert config.email.password_env == "EDUWATCH_SMTP_PASSWORD"
    assert config.daemon.misfire_grace_time >= 600 and config.daemon.log_json
    assert {p.platform for p in config.portals} == {"gkmlpt", "generic", "trs", "govcn"}


def test_systemd_units_restart_on_failure_and_stop_within_30s() -> None:
    for name in ("eduwatch.service", "eduwatch-worker@.service"):
        service = _unit(name)["Service"]
        assert service["Restart"] == "on-failure"
        assert service["TimeoutStopSec"] == "30"
        assert service["EnvironmentFile"] == "/etc/eduwatch/eduwatch.env"
    assert _unit("eduwatch.service")["Service"]["ExecStart"].endswith(" daemon")
    assert _unit("eduwatch-worker@.service")["Service"]["ExecStart"].endswith(" worker")


def test_compose_runs_postgres_redis_scheduler_and_workers() -> None:
    yaml = pytest.importorskip("yaml")  # PyYAML is not an eduwatch dependency
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "scheduler", "worker", "web"}
    assert services["scheduler"]["command"] == ["daemon", "--distributed"]
    assert services["worker"]["command"] == ["worker"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["scheduler"]["stop_grace_period"] == "30s"
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.startswith("# ") and "FROM python:3.11-slim" in dockerfile and "pip install ." in dockerfile
    env = (DEPLOY / "eduwatch.env.example").read_text(encoding="utf-8")
    assert "PGPASSWORD=" in env and "EDUWATCH_SMTP_PASSWORD=" in env


def test_web_view_unit_and_compose_service_stay_on_loopback() -> None:
    service = _unit("eduwatch-web.service")["Service"]
    assert service["ExecStart"].endswith(" web")  # host and port from [web]: 127.0.0.1:8080 by default
    assert service["Restart"] == "on-failure" and service["EnvironmentFile"] == "/etc/eduwatch/eduwatch.env"
    import yaml

    web = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))["services"]["web"]
    assert web["command"][0] == "web"
    assert all(port.startswith("127.0.0.1:") for port in web["ports"])  # published on the host's loopback only
    config = load_config(DEPLOY / "eduwatch.example.toml")
    assert config.web.host == "127.0.0.1" and config.web.admin_token_env == "EDUWATCH_ADMIN_TOKEN"
