"""``eduwatch commitments``: what each plan promised, by county, deadline and indicator.

``eduwatch commitments [--region P] [--portal P] [--due-before DATE] [--indicator TEXT] [--json|--csv]``
lists the commitments of every plan's latest revision (a passed deadline is marked due);
``eduwatch commitments eval`` scores the extractor on the labelled corpus, the held-out test
part first; ``eduwatch commitments refresh`` extracts them for plans stored before the tracker.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date

from sqlalchemy import select

from monitor.changes.commitments.corpus import bundled_corpus
from monitor.changes.commitments.evaluate import Evaluation, evaluate, fully_right
from monitor.changes.commitments.listing import CommitmentView, list_commitments
from monitor.changes.commitments.record import refresh_latest
from monitor.changes.commitments.types import Commitment
from monitor.shell.cli.context import CliContext
from monitor.shell.cli.table import cut, print_json, print_table
from storage.models import Document

CSV_FIELDS = ("document_id", "title", "region", "portal", "url", "deadline", "due", "recurring", "indicator", "target",
              "target_max", "unit", "comparison", "scope", "lead", "partners", "sentence", "section")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("commitments", help="the commitments inside plans, by county, deadline and indicator")
    parser.add_argument("--region", metavar="PREFIX", help="portals whose region starts with this (广东省揭阳市)")
    parser.add_argument("--portal", metavar="NAME", help="one portal")
    parser.add_argument("--due-before", type=date.fromisoformat, metavar="DATE", help="deadlines before this date (YYYY-MM-DD)")
    parser.add_argument("--indicator", metavar="TEXT", help="indicator or sentence containing this text")
    parser.add_argument("--today", type=date.fromisoformat, metavar="DATE", help=argparse.SUPPRESS)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="a JSON array")
    output.add_argument("--csv", action="store_true", help="CSV with a header row")
    parser.set_defaults(handler=cmd_list)
    commands = parser.add_subparsers(dest="commitments_command", metavar="COMMAND")
    run = commands.add_parser("eval", help="precision, recall and fully-right share on the labelled corpus")
    run.add_argument("--json", action="store_true", help="JSON instead of tables")
    run.set_defaults(handler=cmd_eval)
    refresh = commands.add_parser("refresh", help="extract commitments of plans whose latest revision has none")
    refresh.set_defaults(handler=cmd_refresh)


def cmd_list(args: argparse.Namespace, context: CliContext) -> int:
    views = list_commitments(context.db, region=args.region, portal=args.portal, due_before=args.due_before,
                             indicator=args.indicator, today=args.today)
    if args.json:
        print_json([v.to_dict() for v in views])
    elif args.csv:
        write_csv(views)
    else:
        print_views(views)
    return 0


def write_csv(views: list[CommitmentView]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(CSV_FIELDS)
    for view in views:
        item = view.to_dict()
        item["partners"] = "、".join(view.partners)
        item["deadline"] = view.deadline.isoformat() if view.deadline else ""
        writer.writerow(["" if item[name] is None else item[name] for name in CSV_FIELDS])


def print_views(views: list[CommitmentView]) -> None:
    rows = []
    for v in views:
        item = Commitment(sentence=v.sentence, section=v.section, indicator=v.indicator, target=v.target,
                          target_max=v.target_max, unit=v.unit, comparison=v.comparison)
        deadline = v.deadline.isoformat() if v.deadline else (v.recurring or "")
        rows.append([cut(county_of(v.region), 12), deadline, "到期" if v.due else "", cut(v.indicator, 30),
                     item.target_text(), cut(v.scope or "", 10), cut(v.lead or "", 14), f"#{v.document_id}",
                     cut(v.sentence, 50)])
    print_table(["county", "deadline", "due", "indicator", "target", "scope", "lead", "plan", "sentence"], rows)
    plans = {v.document_id: v for v in views}
    if plans:
        print("\nplans:")
        for document_id, v in sorted(plans.items()):
            print(f"#{document_id} {cut(v.title, 60)} {v.url or ''}")


def county_of(region: str) -> str:
    """The last level of a region (广东省揭阳市惠来县 → 惠来县): the table is read by county."""
    inner = region[:-1]
    cut_at = max((inner.rfind(level) + len(level) for level in ("省", "自治区", "市", "州", "盟") if level in inner), default=0)
    return region[cut_at:] or region


def cmd_eval(args: argparse.Namespace, context: CliContext) -> int:
    reports = [evaluate(plans, name) for name, plans in bundled_corpus().items() if plans]
    if args.json:
        print_json({"parts": [r.to_dict() for r in reports]})
        return 0
    print_table(
        ["part", "plans", "labelled", "found", "matched", "precision", "recall", "fully right"],
        [[r.name, len(r.plans), r.labelled, r.found, len(r.pairs), f"{r.precision:.3f}", f"{r.recall:.3f}",
          f"{r.fully_right:.3f}"] for r in reports],
    )
    print("\nfield accuracy over matched commitments:")
    names = list(reports[0].field_accuracy()) if reports else []
    print_table(["part"] + names, [[r.name] + [f"{r.field_accuracy()[n]:.2f}" for n in names] for r in reports])
    for report in reports:
        _print_errors(report)
    return 0


def _print_errors(report: Evaluation) -> None:
    lines = []
    for plan in report.plans:
        lines += [f"- {plan.id} missed: {_short(c)}" for c in plan.missed]
        lines += [f"- {plan.id} extra: {_short(c)}" for c in plan.extra]
        lines += [f"- {plan.id} wrong: {_short(f)}\n    label: {_short(l)}" for f, l in plan.pairs if not fully_right(f, l)]
    if lines:
        print(f"\n{report.name}: {len(lines)} error(s)")
        print("\n".join(lines))


def _short(item: Commitment) -> str:
    due = item.deadline.isoformat() if item.deadline else "-"
    return f"{due} {item.target_text() or '(goal)'} {item.indicator} «{cut(item.sentence, 40)}»"


def cmd_refresh(args: argparse.Namespace, context: CliContext) -> int:
    stored = plans = 0
    with context.db.transaction() as session:
        for document in session.scalars(select(Document).where(Document.is_rural_plan.is_not(None))):
            count = refresh_latest(session, document)
            stored += count
            plans += bool(count)
    print(f"commitments: {stored} stored for {plans} plan(s)")
    return 0
