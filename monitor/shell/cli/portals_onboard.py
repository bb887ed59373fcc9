"""``eduwatch portals detect URL`` and ``eduwatch portals add URL``: a portal from its address.

Detection is :mod:`crawler.detect`; this module shows its proposal and, for ``add``, writes the
``[[portals]]`` entry with tomlkit, which keeps the file's comments and layout, then reads one
list page so the operator sees what the new portal will find.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import tomlkit

from crawler.detect.fetch import PoliteFetcher
from crawler.detect.propose import Proposal, detect
from crawler.detect.sample import first_list_page
from eduwatch.config import ConfigError, load_config
from monitor.shell.cli.context import CliContext
from monitor.shell.cli.table import print_json


def register_actions(portals: argparse.ArgumentParser) -> None:
    """``detect`` and ``add`` under ``eduwatch portals`` (which alone still lists portals)."""
    actions = portals.add_subparsers(dest="action", metavar="ACTION")
    found = actions.add_parser("detect", help="recognise a site's CMS family and propose a [[portals]] entry")
    found.add_argument("url", help="the site's home page or a column's list page")
    found.add_argument("--json", action="store_true", help="the proposal as JSON")
    found.set_defaults(handler=cmd_detect)
    add = actions.add_parser("add", help="detect, then write the entry into the configuration file and test it")
    add.add_argument("url", help="the site's home page or a column's list page")
    add.add_argument("--name", help="the portal's slug (default: from the host name)")
    add.add_argument("--region", help="e.g. 广东省揭阳市惠来县 (default: guessed from the site's name)")
    add.add_argument("--yes", action="store_true", help="write without asking")
    add.set_defaults(handler=cmd_add)


def cmd_detect(args: argparse.Namespace, context: CliContext) -> int:
    proposal = detect(args.url, context.config.crawl)
    if args.json:
        print_json(proposal.to_json())
    else:
        show(proposal)
    return 0 if proposal.recognised else 1


def show(proposal: Proposal) -> None:
    if not proposal.recognised:
        print(f"eduwatch could not recognise {proposal.url}. What it saw:")
        print("\n".join(f"  - {line}" for line in proposal.evidence))
        print("Try the URL of the column that lists the documents (政府信息公开, 政策文件), or see README "
              "“Adding a portal” to write the entry by hand.")
        return
    print(f"{proposal.platform} (confidence {proposal.confidence:.2f}), because:")
    print("\n".join(f"  - {line}" for line in proposal.evidence))
    print("\nproposed entry:\n")
    print(block(proposal))


def block(proposal: Proposal) -> str:
    document = tomlkit.document()
    entries = tomlkit.aot()
    entries.append(tomlkit.item(proposal.portal_table()))
    document.append("portals", entries)
    return tomlkit.dumps(document).strip()


def cmd_add(args: argparse.Namespace, context: CliContext) -> int:
    path = _config_file(context)
    config = context.config
    proposal = detect(args.url, config.crawl)
    proposal.name = args.name or proposal.name
    proposal.region = args.region if args.region is not None else proposal.region
    if any(p.name == proposal.name for p in config.portals):
        print(f"eduwatch: a portal named {proposal.name!r} is already in {path}; choose another with --name",
              file=sys.stderr)
        return 2
    show(proposal)
    if not proposal.recognised:
        return 1
    if not args.yes and not _confirm(f"\nadd it to {path}? [y/N] "):
        print("nothing written")
        return 1
    _write(path, proposal)
    print(f"\nadded portal {proposal.name!r} to {path}")
    _test_list_page(proposal, context)
    return 0


def _config_file(context: CliContext) -> Path:
    if not context.config_path:
        raise ConfigError("portals add writes into a configuration file: give --config FILE or set EDUWATCH_CONFIG")
    return Path(context.config_path)


def _confirm(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _write(path: Path, proposal: Proposal) -> None:
    """Append the entry, keeping every comment and line of the file; the result must load."""
    before = path.read_text(encoding="utf-8")
    document = tomlkit.parse(before)
    if "portals" not in document:
        document.append("portals", tomlkit.aot())
    entry = tomlkit.item(proposal.portal_table())
    entry.trivia.indent = "\n"  # a blank line before its [[portals]], like the entries a person writes
    document["portals"].append(entry)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    try:
        load_config(path)
    except ConfigError:
        path.write_text(before, encoding="utf-8")  # never leave a file eduwatch cannot load
        raise


def _test_list_page(proposal: Proposal, context: CliContext) -> None:
    fetcher = PoliteFetcher(context.config.crawl)
    try:
        url, documents = first_list_page(proposal, fetcher)
    finally:
        fetcher.close()
    print(f"test crawl of one list page: {url}")
    if not documents:
        print("  found no documents there: check list_urls / detail_pattern before the first crawl")
        return
    print(f"  found {len(documents)} documents, e.g.:")
    for title, link in documents:
        print(f"  - {title}  {link}")
    print(f"next: eduwatch crawl {proposal.name}")
