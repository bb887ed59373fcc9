"""The ``eduwatch`` command line.

Each sub-command module registers itself (``register(subparsers)``), the way Scrapy lists
commands by dotted path: adding a command means adding a module to ``COMMAND_MODULES``.
Everything a command prints passes through :class:`eduwatch.redact.RedactingStream`: a
credential in a portal URL, the database URL or a webhook key is masked in every output line,
whichever command prints it.

Exit codes: 0 success, 1 a crawl/delivery failed, 2 bad usage or configuration — including a
database that cannot be reached or opened (one line naming it, credentials masked, no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from eduwatch import __version__
from eduwatch.config import ConfigError
from eduwatch.redact import RedactingStream, redact
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
    "monitor.shell.cli.config",
    "monitor.shell.cli.commitments",
    "monitor.shell.cli.doctor",
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
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)
    try:
        return int(args.handler(args, context) or 0)
    except ConfigError as exc:
        print(f"eduwatch: configuration error: {redact(str(exc))}", file=sys.stderr)
        return 2
    except (OperationalError, InterfaceError) as exc:  # the database is down, refuses us, or cannot be opened
        print(f"eduwatch: cannot use the database {_database(context)}: {_first_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `eduwatch show 12 | head`: the reader left; say nothing more, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        sys.stdout, sys.stderr = streams
        context.close()


def _database(context: CliContext) -> str:
    try:
        return redact(context.config.database.url)
    except ConfigError:
        return "(configuration not loaded)"


def _first_line(exc: DBAPIError) -> str:
    """The driver's own words, without SQLAlchemy's SQL echo and background link."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return redact(text.strip().splitlines()[0] if text.strip() else type(exc).__name__)


if __name__ == "__main__":
    sys.exit(main())
