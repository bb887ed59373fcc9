"""``eduwatch demo``: see the whole pipeline work in under a minute, without internet."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.shell.cli.context import CliContext


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser("demo", help="crawl bundled sample portals on 127.0.0.1 into a scratch database")
    demo.add_argument("--workdir", type=Path, help="keep the scratch database and config here (default: a temp dir)")
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace, context: CliContext) -> int:
    from monitor.shell.cli import main
    from monitor.shell.demo import run_demo

    return run_demo(main, args.workdir)
