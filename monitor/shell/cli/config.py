"""``eduwatch config check``: load the configuration exactly as every command does, and say so.

Why a command: an operator edits the file on a server and wants to know before the daemon
restarts whether it loads. It runs the load's checks and nothing else (no database, no
network), so it is safe anywhere; a problem exits 2 with ``file:line: [table] key: problem``
(printed by :func:`monitor.shell.cli.main`, as for every command).
"""

from __future__ import annotations

import argparse

from eduwatch.config import load_config
from eduwatch.redact import redact
from monitor.shell.cli.context import CliContext


def register(subparsers: argparse._SubParsersAction) -> None:
    config = subparsers.add_parser("config", help="the configuration: check it")
    actions = config.add_subparsers(dest="config_command", metavar="ACTION")
    check = actions.add_parser("check", help="load and check the configuration (exit 0 ok, 2 a problem)")
    check.add_argument("--config", dest="check_config", metavar="FILE",
                       help="the file to check (default: eduwatch's --config, $EDUWATCH_CONFIG, else built-in)")
    check.set_defaults(handler=cmd_config_check)


def cmd_config_check(args: argparse.Namespace, context: CliContext) -> int:
    config = load_config(args.check_config or context.config_path)
    enabled = sum(1 for portal in config.portals if portal.enabled)
    print(f"{config.source}: ok — {len(config.portals)} portal(s) ({enabled} enabled), "
          f"{len(config.subscribers)} subscriber(s), database {redact(config.database.url)}")
    return 0
