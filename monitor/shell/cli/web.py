"""``eduwatch web | search | reindex``: the web view, and full-text search from the shell."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from monitor.shell.cli.context import CliContext
from monitor.shell.cli.table import cut, print_json, print_table
from storage.search import SearchPage, SearchQuery, rebuild_index, search, unindexed_count


def register(subparsers: argparse._SubParsersAction) -> None:
    web = subparsers.add_parser("web", help="serve the web view: pages, search, Atom feeds, JSON API")
    web.add_argument("--host", help="address to listen on (default [web] host, 127.0.0.1)")
    web.add_argument("--port", type=int, help="port (default [web] port, 8080)")
    web.set_defaults(handler=cmd_web)

    found = subparsers.add_parser("search", help="full-text search of titles, bodies and attachments")
    found.add_argument("query", metavar="QUERY", help="words or phrases (all must occur), e.g. 乡村教育 or '乡村 教师'")
    found.add_argument("--portal", help="only documents seen on this portal")
    found.add_argument("--plans", action="store_true", help="only rural-education plans")
    found.add_argument("--limit", type=int, default=20, help="at most N results (default 20)")
    found.add_argument("--json", action="store_true", help="machine-readable output")
    found.set_defaults(handler=cmd_search)

    reindex = subparsers.add_parser("reindex", help="rebuild the full-text search index")
    reindex.set_defaults(handler=cmd_reindex)


def cmd_web(args: argparse.Namespace, context: CliContext) -> int:
    import uvicorn

    from monitor.shell.web.app import create_app

    settings = context.config.web
    host, port = args.host or settings.host, args.port or settings.port
    app = create_app(context.config, context.db, config_path=context.config_path)
    print(f"eduwatch web on http://{host}:{port}/ (Ctrl-C stops it)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1", log_level="info")
    return 0


def search_view(page: SearchPage) -> dict[str, Any]:
    """What ``search --json`` prints, and ``/api/search`` returns."""
    return {"query": page.query.text, "total": page.total, "hits": [hit.to_dict() for hit in page.hits]}


def cmd_search(args: argparse.Namespace, context: CliContext) -> int:
    if args.portal:
        context.config.portal(args.portal)
    with context.db.engine.connect() as connection:
        page = search(connection, SearchQuery(args.query, portal=args.portal, plans=args.plans, limit=args.limit))
        missing = unindexed_count(connection)
    if missing:
        print(f"note: {missing} documents are not in the search index yet: run eduwatch reindex", file=sys.stderr)
    if args.json:
        print_json(search_view(page))
        return 0
    rows = [[hit.document_id, "yes" if hit.is_rural_plan else "", hit.published_date or "", cut(hit.title, 60),
             cut(_marked(hit.snippet, hit.highlights), 80)] for hit in page.hits]
    print_table(["id", "plan", "published", "title", "match"], rows)
    print(f"{page.total} document(s) match")
    return 0


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """The snippet with its matches in 【】, as the CLI marks diffs."""
    for start, end in reversed(spans):
        text = f"{text[:start]}【{text[start:end]}】{text[end:]}"
    return text


def cmd_reindex(args: argparse.Namespace, context: CliContext) -> int:
    def progress(done: int) -> None:
        print(f"\rindexed {done} documents", end="", file=sys.stderr, flush=True)

    total = rebuild_index(context.db, progress)
    print(f"\rsearch index rebuilt: {total} documents", flush=True)
    return 0
