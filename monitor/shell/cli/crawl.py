"""``eduwatch init | crawl | documents | show | portals``: the store and the crawl, by hand."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any, Callable, Sequence

import platformdirs
from sqlalchemy.orm import Session

from eduwatch.config import DEFAULT_CONFIG, PortalConfig
from monitor.changes.related import related_pages
from monitor.shell.cli.context import CliContext
from monitor.shell.cli.crawl_progress import PlainProgress, crawl_progress
from monitor.shell.cli.portals_onboard import register_actions
from monitor.shell.cli.table import cut, json_time, print_json, print_table, show_time, time_header
from monitor.shell.freshness_view import behind_note, freshness_figures, show_staleness
from storage.documents import DocumentQuery, get_document, list_documents
from storage.freshness import portal_freshness
from storage.models import CrawlRun, Document, utcnow
from storage.runs import RunSummary, Runs
from storage.crawl_leases import PortalBusy
from storage.store import Store

REASON_COLUMNS = 56  # a run's reason in a table (a 160-column line with the zone in two headers); --json has it whole


def register(subparsers: argparse._SubParsersAction) -> None:
    init = subparsers.add_parser("init", help="create the database and a commented configuration file")
    init.add_argument("--path", type=Path, help="where to write the configuration (default: user config dir)")
    init.set_defaults(handler=cmd_init)

    crawl = subparsers.add_parser("crawl", help="crawl portals now (all enabled ones by default)")
    crawl.add_argument("portals", nargs="*", metavar="PORTAL", help="portal names from the configuration (default: all enabled)")
    crawl.add_argument("--full", action="store_true", help="refetch every list and detail page")
    crawl.add_argument("--no-wait", action="store_true", help="fail instead of waiting when a portal is being crawled")
    crawl.add_argument("--no-progress", action="store_true",
                       help="plain progress lines instead of bars (they are plain anyway when stdout is not a terminal)")
    crawl.set_defaults(handler=cmd_crawl)

    documents = subparsers.add_parser("documents", help="list stored documents")
    documents.add_argument("--portal", help="only documents seen on this portal")
    documents.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="only documents first seen on or after this day")
    documents.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    documents.set_defaults(handler=cmd_documents)

    show = subparsers.add_parser("show", help="one document with body and sources")
    show.add_argument("id", type=int, help="document id (see `eduwatch documents`)")
    show.add_argument("--json", action="store_true", help="JSON with body and sources")
    show.set_defaults(handler=cmd_show)

    portals = subparsers.add_parser("portals", help="configured portals and their last crawl")
    portals.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    portals.set_defaults(handler=cmd_portals)
    register_actions(portals)  # portals detect URL | portals add URL (monitor.shell.cli.portals_onboard)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def cmd_init(args: argparse.Namespace, context: CliContext) -> int:
    target = args.path or Path(platformdirs.user_config_dir("eduwatch")) / "eduwatch.toml"
    if target.exists():
        print(f"configuration exists, left alone: {target}")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(DEFAULT_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
        print(f"wrote a commented configuration: {target}")
    Store(context.db).sync_portals(context.config.portals)
    print(f"database ready: {context.db.engine.url.render_as_string(hide_password=True)}")
    print(f"next: eduwatch --config {target} crawl")
    return 0


def cmd_crawl(args: argparse.Namespace, context: CliContext) -> int:
    config = context.config
    names = args.portals or [p.name for p in config.portals if p.enabled]
    for name in names:
        config.portal(name)  # unknown names fail here, with exit 2, before anything runs
    Store(context.db).sync_portals(config.portals)
    try:
        with crawl_progress(len(names), wanted=not args.no_progress) as progress:
            summaries = crawl_and_monitor(context, names, full=args.full, wait=not args.no_wait, progress=progress)
    except PortalBusy as busy:
        print(f"eduwatch: {busy}", file=sys.stderr)
        return 1
    print_summaries(summaries)
    return 0 if summaries and all(s.status == "ok" for s in summaries) else 1


def crawl_and_monitor(context: CliContext, names: Sequence[str], *, full: bool, wait: bool,
                      progress: Callable[[str], None] | None = None) -> list[RunSummary]:
    """Crawl under the per-portal locks the daemon also takes, then turn changes into events.

    Alerts are only queued here; the daemon's deliverer or ``eduwatch notify`` sends them.
    """
    from alerts.subscribers import sync_from_config
    from crawler.runner import crawl_portals_locked
    from monitor.shell.passes import monitor_and_deliver

    summaries = crawl_portals_locked(
        context.config_path, list(names), full=full, trigger="manual", wait=wait, progress=progress or PlainProgress()
    )
    with context.db.transaction() as session:
        sync_from_config(session, context.config)  # events must find the configured subscribers
    monitor_and_deliver(context.db, context.config, deliver=False)
    return summaries


def print_summaries(summaries: Sequence[RunSummary]) -> None:
    rows = [
        [s.portal, s.pages_fetched, s.docs_new, s.docs_updated, s.errors, s.status, cut(s.reason or "", REASON_COLUMNS)]
        for s in summaries
    ]
    print_table(["portal", "pages", "new", "updated", "errors", "status", "reason"], rows)


def cmd_documents(args: argparse.Namespace, context: CliContext) -> int:
    if args.portal:
        context.config.portal(args.portal)
    with context.db.sessions() as session:
        views = list_documents(session, DocumentQuery(portal=args.portal, since=args.since))
    if args.json:
        print_json(views)
        return 0
    rows = [
        [v["id"], _plan_mark(v), v["published_date"] or "", v["doc_no"] or "", ",".join(v["portals"]), cut(v["title"], 96)]
        for v in views
    ]
    print_table(["id", "plan", "published", "文号", "portals", "title"], rows)
    return 0


def cmd_show(args: argparse.Namespace, context: CliContext) -> int:
    with context.db.sessions() as session:
        view = get_document(session, args.id)
        if view is not None:
            view["related"] = related_view(session, args.id)
    if view is None:
        print(f"eduwatch: no document with id {args.id}", file=sys.stderr)
        return 1
    if args.json:
        print_json(view)
        return 0
    _print_document(view)
    return 0


def cmd_portals(args: argparse.Namespace, context: CliContext) -> int:
    config = context.config
    Store(context.db).sync_portals(config.portals)
    last = Runs(context.db).latest()
    now = utcnow()
    fresh = {name: freshness_figures(f, now) for name, f in portal_freshness(context.db, now).items()}
    if args.json:
        views = [{**portal_view(portal, last.get(portal.name)), "freshness": fresh.get(portal.name)}
                 for portal in config.portals]
        print_json(views)
        return 0
    rows = []
    for portal in config.portals:
        run = last.get(portal.name)
        figures = fresh.get(portal.name)
        rows.append([
            portal.name, portal.platform, portal.region,
            show_time(run.started_at) if run else "never",
            run.status if run else "", show_staleness(figures),
            show_time((figures or {}).get("next_deep_walk"), "—"),
            cut(behind_note(figures) or (run.reason if run else "") or "", REASON_COLUMNS),
        ])
    print_table(["portal", "platform", "region", time_header("last crawl"), "status", "stale", time_header("next deep walk"),
                 "reason"], rows)
    return 0


def portal_view(portal: PortalConfig, run: CrawlRun | None) -> dict[str, Any]:
    """A configured portal and its latest run (maybe still running), keyed like `status --json`."""
    return {
        "portal": portal.name,
        "title": portal.title,
        "platform": portal.platform,
        "region": portal.region,
        "base_url": portal.base_url,
        "enabled": portal.enabled,
        "last_crawl": None if run is None else {
            "run": run.id,
            "started": json_time(run.started_at),
            "finished": json_time(run.finished_at),
            "trigger": run.trigger,
            "full": run.full,
            "status": run.status,
            "reason": run.reason,
            "pages": run.pages_fetched,
            "docs_new": run.docs_new,
            "docs_updated": run.docs_updated,
            "errors": run.errors,
        },
    }


def _print_document(view: dict[str, Any]) -> None:
    labels = [
        ("标题", "title"), ("文号", "doc_no"), ("索引号", "index_no"), ("发布机构", "publisher"),
        ("分类", "category"), ("成文日期", "written_date"), ("发布日期", "published_date"), ("有效性", "validity"),
    ]
    for label, key in labels:
        if view.get(key):
            print(f"{label}: {view[key]}")
    for source in view["sources"]:
        print(f"来源: {source['portal']}  {source['url']}")
    for attachment in view["attachments"]:
        print(f"附件: {attachment['name']} ({attachment['type']})  {attachment['url']}")
    for related in view.get("related", ()):
        role = "相关页面" if related["role"] == "page" else "所述方案"
        print(f"{role}: #{related['id']} {related['title']}（{related['via']}：{related['key']}）")
    print()
    print(view["body"])


def related_view(session: Session, document_id: int) -> list[dict[str, Any]]:
    """Related pages of a plan (news, 解读 naming it), or the plans a page names."""
    document = session.get(Document, document_id)
    links = related_pages(session, document) if document is not None else []
    return [
        {"id": link.page_id if link.plan_id == document_id else link.plan_id,
         "role": "page" if link.plan_id == document_id else "plan",
         "title": link.title, "via": link.via, "key": link.key}
        for link in links
    ]


def _plan_mark(view: dict[str, Any]) -> str:
    return {True: "yes", False: "", None: "?"}[view["is_rural_plan"]]
