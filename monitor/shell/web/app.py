"""The web application: FastAPI with Jinja2 templates, its security headers, its routes.

Why FastAPI: it is Starlette (a small, well-kept ASGI toolkit) plus the OpenAPI spec the JSON
API is asked to have, generated from the routes themselves. Interactive docs pages are off:
they load scripts from a CDN and inline, which the Content-Security-Policy forbids.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from eduwatch import __version__
from eduwatch.config import Config
from monitor.shell.cli.table import use_zone
from monitor.shell.web.display import filters
from storage.database import Database

HERE = Path(__file__).parent
# No script at all, styles only from our own file, forms only to ourselves, never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def templates() -> Jinja2Templates:
    """Jinja2 with autoescaping on for every template (.html and .xml alike)."""
    engine = Jinja2Templates(directory=str(HERE / "templates"))
    engine.env.autoescape = True
    engine.env.filters.update(filters())
    return engine


def create_app(config: Config, db: Database | None = None, config_path: str | None = None) -> FastAPI:
    """The application for ``config``'s database (or ``db``, which tests and benchmarks pass)."""
    from monitor.shell.web import admin, api, commitment_pages, document_pages, feeds, pages

    app = FastAPI(
        title="eduwatch", version=__version__, docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
        description="Education notices of Chinese county portals: documents, revisions, change events, search.",
    )
    app.state.config = config
    use_zone(config.display.timezone)  # pages show times as the CLI does
    app.state.db = db or Database(config.database.url)
    app.state.templates = templates()
    app.state.config_path = config_path  # handed to the recrawls the admin page starts
    app.state.recrawls = []  # the latest recrawls started here, for the admin page
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (pages, document_pages, commitment_pages, feeds, admin, api):
        app.include_router(module.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(("/api/", "/feeds/")):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return app.state.templates.TemplateResponse(
            request, "error.html", {"status": exc.status_code, "detail": exc.detail}, status_code=exc.status_code
        )

    return app
