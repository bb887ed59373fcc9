"""``eduwatch events | diff | classify | reclassify``: what changed, and what the classifier says."""

from __future__ import annotations

import argparse
import html
import sys
from datetime import date, datetime, timezone

from monitor.shell.cli.context import CliContext
from monitor.shell.cli.table import cut, print_json, print_table, show_time, time_header
from monitor.changes.diffing import DEFAULT_CONTEXT
from monitor.changes.events import EVENT_KINDS, META_LABELS, list_events, show_value
from monitor.changes.revisions import classify_document, diff_revisions, reclassify_all
from storage.models import Document


def register(subparsers: argparse._SubParsersAction) -> None:
    events = subparsers.add_parser("events", help="change events (new, revised, abolished …), oldest first")
    events.add_argument("--since", type=parse_since, metavar="DATE",
                        help="only events at or after this UTC date or datetime (YYYY-MM-DD[THH:MM])")
    events.add_argument("--kind", choices=EVENT_KINDS, help="only events of this kind")
    events.add_argument("--limit", type=int, help="at most N events")
    events.add_argument("--json", action="store_true", help="machine-readable output")
    events.set_defaults(handler=cmd_events)

    diff = subparsers.add_parser("diff", help="what changed between two revisions of a document")
    diff.add_argument("id", type=int, metavar="ID", help="document id")
    diff.add_argument("--rev", type=int, action="append", metavar="N",
                      help="revision number; give it twice (--rev A --rev B). Default: the last two")
    diff.add_argument("--html", action="store_true", help="HTML with <ins>/<del> instead of 【+…】/【-…】 marks")
    diff.add_argument("--full", action="store_true", help="the whole text, not only the changed regions")
    diff.set_defaults(handler=cmd_diff)

    classify = subparsers.add_parser("classify", help="score and evidence of the rural-education-plan classifier")
    classify.add_argument("id", type=int, metavar="ID", help="document id")
    classify.add_argument("--json", action="store_true")
    classify.set_defaults(handler=cmd_classify)

    reclassify = subparsers.add_parser("reclassify", help="classify every stored document again (after rules changed)")
    reclassify.set_defaults(handler=cmd_reclassify)


def parse_since(text: str) -> datetime:
    """A date or ISO datetime; an aware one is converted to the naive UTC the database stores."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or datetime: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def cmd_events(args: argparse.Namespace, context: CliContext) -> int:
    views = list_events(context.db, since=args.since, kind=args.kind, limit=args.limit)
    if args.json:
        print_json([view.to_dict() for view in views])
        return 0
    rows = [
        [v.id, show_time(v.at), v.kind + (" (revert)" if v.is_revert else ""),
         v.document_id, "yes" if v.is_rural_plan else "", cut(v.summary, 140)]
        for v in views
    ]
    print_table(["id", time_header("at"), "kind", "doc", "plan", "summary"], rows)
    return 0


def cmd_diff(args: argparse.Namespace, context: CliContext) -> int:
    revs = args.rev or []
    if len(revs) not in (0, 2):
        print("eduwatch: give --rev twice (--rev A --rev B), or not at all for the last two revisions",
              file=sys.stderr)
        return 2
    try:
        result = diff_revisions(context.db, args.id, *revs)
    except LookupError as exc:
        print(f"eduwatch: {exc.args[0]}", file=sys.stderr)
        return 1
    context_chars = None if args.full else DEFAULT_CONTEXT
    meta_lines = [
        f"{META_LABELS[name]}：{show_value(old)} → {show_value(new)}" for name, (old, new) in result.meta_changes.items()
    ]
    if args.html:
        print(f"<p>{_escape(result.title)}：第{result.from_revision}版 → 第{result.to_revision}版</p>")
        for line in meta_lines:
            print(f"<p>{_escape(line)}</p>")
        print(f"<p>{_escape(result.diff.summary())}</p>")
        print(result.diff.html(context_chars))
        return 0
    print(f"{result.title}：第{result.from_revision}版 → 第{result.to_revision}版")
    for line in meta_lines:
        print(line)
    print(result.diff.summary())
    if result.diff.changed:
        print()
        print(result.diff.text(context_chars))
    return 0


def cmd_classify(args: argparse.Namespace, context: CliContext) -> int:
    with context.db.sessions() as session:
        document = session.get(Document, args.id)
        if document is None:
            print(f"eduwatch: no document with id {args.id}", file=sys.stderr)
            return 1
        result = classify_document(document)
        title, stored = document.title, document.is_rural_plan
    if args.json:
        print_json({
            "id": args.id, "title": title, "is_rural_plan": result.is_rural_plan, "score": result.score,
            "subject_score": result.subject_score, "genre": result.genre, "stored_is_rural_plan": stored,
            "evidence": result.evidence_json(),
        })
        return 0
    print(title)
    print(f"rural-education plan: {'yes' if result.is_rural_plan else 'no'}  "
          f"score {result.score:.2f}  subject {result.subject_score:.2f}  genre {result.genre}")
    if stored is not None and stored != result.is_rural_plan:
        print("(the stored verdict differs: run `eduwatch reclassify`)")
    rows = [[e.field, e.phrase, f"{e.weight:+.2f}", e.count] for e in result.evidence]
    print_table(["field", "phrase", "weight", "count"], rows)
    return 0


def cmd_reclassify(args: argparse.Namespace, context: CliContext) -> int:
    report = reclassify_all(context.db)
    print(f"reclassified {report.documents} documents; {len(report.changed)} changed verdict"
          + (f": {', '.join(map(str, report.changed))}" if report.changed else ""))
    return 0


def _escape(text: str) -> str:
    return html.escape(text, quote=True)
