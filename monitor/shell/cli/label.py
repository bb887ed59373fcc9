"""``eduwatch label DOC (--plan | --not-plan) [--note TEXT] [--by NAME]`` and ``label --export FILE``.

A person's verdict overrides the classifier for that document from then on; it is kept with
who and when. The export writes every labelled document in the corpus format, so a rule change
can be evaluated against an operator's own labels (``eduwatch classifier eval --labels FILE``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from monitor.changes.classification import label_document, labelled_documents
from monitor.changes.classifier.corpus import write_labels
from monitor.shell.cli.context import CliContext


def register(subparsers: argparse._SubParsersAction) -> None:
    label = subparsers.add_parser("label", help="record a person's verdict on a document (or --export them)")
    label.add_argument("id", type=int, nargs="?", help="document id (see `eduwatch documents`)")
    verdict = label.add_mutually_exclusive_group()
    verdict.add_argument("--plan", dest="is_plan", action="store_const", const=True, help="it is a rural-education plan")
    verdict.add_argument("--not-plan", dest="is_plan", action="store_const", const=False, help="it is not one")
    label.add_argument("--note", help="why (kept with the label; exported as the reason)")
    label.add_argument("--by", help="who labels (default: the OS user)")
    label.add_argument("--export", type=Path, metavar="FILE", help="write every labelled document as JSON Lines")
    label.set_defaults(handler=cmd_label)


def _who(args: argparse.Namespace) -> str:
    if args.by:
        return args.by
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): say so rather than guess
        return "unknown"


def cmd_label(args: argparse.Namespace, context: CliContext) -> int:
    if args.export is not None:
        if args.id is not None or args.is_plan is not None:
            print("eduwatch: label --export takes no document or verdict", file=sys.stderr)
            return 2
        count = write_labels(labelled_documents(context.db), args.export)
        print(f"exported {count} labelled document(s) to {args.export}")
        return 0
    if args.id is None or args.is_plan is None:
        print("eduwatch: label needs a document id and --plan or --not-plan (or --export FILE)", file=sys.stderr)
        return 2
    try:
        result = label_document(context.db, args.id, is_plan=args.is_plan, by=_who(args), note=args.note)
    except LookupError as exc:
        print(f"eduwatch: {exc}", file=sys.stderr)
        return 1
    verdict = "a rural-education plan" if result.is_plan else "not a rural-education plan"
    print(f"document {result.document_id} labelled {verdict} (the classifier says "
          f"{'plan' if result.classifier_said else 'not a plan'}): {result.title}")
    if result.new_plan_event is not None:
        print(f"new_plan raised: event {result.new_plan_event}")
    return 0
