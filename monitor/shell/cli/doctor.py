"""``eduwatch doctor [--json]``: check everything eduwatch depends on, one line each with a fix.

Exit 0 when every check passes, 1 otherwise (not 2: the command itself was used rightly, it
found a problem). The checks live in :mod:`monitor.shell.doctor`; this module only shows them.
"""

from __future__ import annotations

import argparse

from monitor.shell.cli.context import CliContext
from monitor.shell.cli.table import print_json
from monitor.shell.doctor.result import Check
from monitor.shell.doctor.run import run_checks


def register(subparsers: argparse._SubParsersAction) -> None:
    doctor = subparsers.add_parser("doctor", help="check configuration, database, SMTP, webhooks, portals and disk")
    doctor.add_argument("--json", action="store_true", help="a list of {check, ok, detail, fix}")
    doctor.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, context: CliContext) -> int:
    checks = run_checks(context.config_path)
    if args.json:
        print_json([check.to_json() for check in checks])
    else:
        for check in checks:
            print(line(check))
        failures = sum(1 for check in checks if not check.ok)
        print(f"\n{len(checks) - failures} passed, {failures} failed" if failures else f"\nall {len(checks)} checks passed")
    return 0 if all(check.ok for check in checks) else 1


def line(check: Check) -> str:
    mark = "ok  " if check.ok else "FAIL"
    text = f"{mark} {check.check}: {check.detail}"
    return f"{text}\n     fix: {check.fix}" if check.fix else text
