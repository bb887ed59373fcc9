"""The web tests' site and HTTP client, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from monitor.shell.web.app import create_app
from tests.monitor.shell.web.site import ADMIN_ENV, ADMIN_TOKEN, Site, build_site


@pytest.fixture
def site(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv(ADMIN_ENV, ADMIN_TOKEN)
    built = build_site(db_url)
    yield built
    built.db.dispose()


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site.config, site.db), base_url="http://127.0.0.1:8080") as http:
        yield http
