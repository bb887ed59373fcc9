"""``eduwatch classifier eval``: how well the classifier does on labelled documents.

For the bundled corpus it reports the three parts, the held-out test part first (the only
honest figure for portals the rules were not written from); with ``--labels FILE`` it reports a
user's own labels (the corpus format, e.g. what ``eduwatch label --export`` wrote).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor.changes.classifier import RULES_VERSION
from monitor.changes.classifier.corpus import LabelsError, bundled_corpus, load_labels
from monitor.changes.classifier.evaluate import Evaluation, evaluate
from monitor.shell.cli.context import CliContext
from monitor.shell.cli.table import cut, print_json, print_table

TITLE_COLUMNS = 40


def register(subparsers: argparse._SubParsersAction) -> None:
    classifier = subparsers.add_parser("classifier", help="evaluate the rural-education-plan classifier")
    commands = classifier.add_subparsers(dest="classifier_command", metavar="COMMAND")
    run = commands.add_parser("eval", help="precision, recall, confusion and errors on labelled documents")
    run.add_argument("--labels", type=Path, metavar="FILE",
                     help="labels in the corpus format (JSON Lines); default: the bundled train/dev/test corpus")
    run.add_argument("--json", action="store_true", help="JSON instead of tables")
    run.set_defaults(handler=cmd_eval)


def evaluations(labels: Path | None) -> list[Evaluation]:
    if labels is not None:
        return [evaluate(load_labels(labels), labels.name)]
    return [evaluate(entries, name) for name, entries in bundled_corpus().items() if entries]


def cmd_eval(args: argparse.Namespace, context: CliContext) -> int:
    try:
        reports = evaluations(args.labels)
    except LabelsError as exc:
        print(f"eduwatch: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print_json({"rules_version": RULES_VERSION, "parts": [r.to_dict() for r in reports]})
        return 0
    print(f"rules {RULES_VERSION}")
    print_table(
        ["part", "documents", "precision", "recall", "TP", "FP", "TN", "FN"],
        [[r.name, r.documents, f"{r.precision:.3f}", f"{r.recall:.3f}", r.tp, r.fp, r.tn, r.fn] for r in reports],
    )
    for report in reports:
        _print_errors(report)
    return 0


def _print_errors(report: Evaluation) -> None:
    if not report.errors:
        return
    print(f"\n{report.name}: {len(report.errors)} error(s)")
    for error in report.errors:
        kind = "missed plan" if error["label"] else "false plan"
        print(f"- {error['id']} ({kind}) {cut(error['title'], 80)}")
        print(f"  genre {error['genre']}; subject {error['subject_score']:.2f} (threshold {error['threshold']:.1f})")
        if error.get("reason"):
            print(f"  label: {error['reason']}")
        evidence = "; ".join(f"{e['field']}:{e['phrase']} {e['weight']:+.2f}" for e in error["evidence"])
        print(f"  evidence: {evidence}")
