"""The portal fixtures, plus a tiny HTTP helper that never raises on 4xx/5xx."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest



@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> Fetched:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Fetched(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Fetched(error.code, dict(error.headers.items()), error.read())


@pytest.fixture
def get():
    return fetch
