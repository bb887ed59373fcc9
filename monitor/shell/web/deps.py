"""What every route takes from the application: its database, configuration and templates."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from eduwatch.config import Config
from monitor.shell.cli.table import json_text
from storage.database import Database

PAGE_SIZE = 20
MAX_PAGE_SIZE = 200


def database(request: Request) -> Database:
    return request.app.state.db


def config(request: Request) -> Config:
    return request.app.state.config


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, values, status_code=status_code)


def json_response(data: Any, status_code: int = 200) -> Response:
    """JSON as the CLI's ``--json`` writes it (UTC times with Z, dates as YYYY-MM-DD)."""
    return Response(json_text(data, indent=None), status_code=status_code, media_type="application/json")


def not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=what)


def public_base(request: Request) -> str:
    """The web view's own address for links that leave the page (feeds): ``public_url`` if set."""
    return (config(request).web.public_url or str(request.base_url)).rstrip("/")
