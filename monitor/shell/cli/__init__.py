"""The ``eduwatch`` command line.

Each sub-command module registers itself (``register(subparsers)``), the way Scrapy lists
commands by dotted path: adding a command means adding a module to ``COMMAND_MODULES``.
Exit codes: 0 success, 1 a crawl/delivery failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from eduwatch import __version__
from eduwatch.config import ConfigError
from monitor.shell.cli.context import CliContext

COMMAND_MODULES = (
    "monitor.shell.cli.crawl",
    "monitor.shell.cli.events",
    "monitor.shell.cli.alerts",
    "monitor.shell.cli.daemon",
    "monitor.shell.cli.demo",
    "monitor.shell.cli.web",
    "monitor.shell.cli.classifier",
    "monitor.shell.cli.label",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eduwatch",
        description="Watch Chinese government portals for education notices; alert when rural-education plans appear or change.",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML configuration (default: $EDUWATCH_CONFIG, else built-in)")
    parser.add_argument("--version", action="version", version=f"eduwatch {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside an existing module
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    context = CliContext(config_path=args.config)
    try:
        return int(args.handler(args, context) or 0)
    except ConfigError as exc:
        print(f"eduwatch: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `eduwatch show 12 | head`: the reader left; say nothing more, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        context.close()


if __name__ == "__main__":
    sys.exit(main())
