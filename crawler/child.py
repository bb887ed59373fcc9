"""The crawl child's side of supervision: ``python -m crawler.child [--memory-mb N] [--module M] -- ARGS``.

:class:`crawler.supervisor.CrawlChild` starts every crawl child through this entry. It sets
the child's limits on itself and then becomes ``M ARGS`` (``crawler.run`` or
``crawler.distributed_recrawl``) in the same process:

* the memory limit (``RLIMIT_AS``) is set here, before Scrapy is imported, and not with
  ``preexec_fn`` in the parent, which is unsafe in a threaded parent such as the daemon;
* ``PR_SET_PDEATHSIG``: a child whose supervisor dies without stopping it gets SIGTERM, so
  no crawl is left orphaned;
* running out of memory ends the child with :data:`OUT_OF_MEMORY_EXIT` and a line the
  supervisor recognises.

It also holds the protocol between the two sides: progress lines on stderr start with
:data:`PROGRESS_PREFIX` (a portal's start and end, and while it runs its live counts every
:data:`LIVE_EVERY` seconds: :func:`live_line`), and the child's last line on stdout is a JSON
list of :class:`storage.runs.RunSummary` dicts.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import runpy
import signal
import sys
from typing import Sequence

from storage.runs import RunSummary

PROGRESS_PREFIX = "[crawl] "
CHILD_MODULES = ("crawler.run", "crawler.distributed_recrawl")
PARENT_PID_ENV = "EDUWATCH_PARENT_PID"
OUT_OF_MEMORY_EXIT = 3
_PR_SET_PDEATHSIG = 1


LIVE_EVERY = 2.0  # seconds between a running portal's live counts (when they changed)
# Live counts are asked for (``crawler.run --live-progress``) only by a watcher that draws them
# (a terminal's bar): the daemon's children would tell hundreds of portals' counts to nobody.
# Not a measured saving: daemon_scale --quick gave 66-77 % runs on time with and without them
# on this machine, its noise.
LIVE_FLAG = "--live-progress"
_LIVE = ": running — "


def live_line(name: str, new: int, updated: int, pages: int, errors: int) -> str:
    """A running portal's counts so far, worded like its final line with status ``running``."""
    return f"{name}{_LIVE}{new} new, {updated} updated, {pages} pages, {errors} errors"


def is_live(line: str) -> bool:
    """Whether a progress line is live counts (drawn on a bar; too chatty for a log or a pipe)."""
    return _LIVE in line


def progress(line: str) -> None:
    """One progress line for the supervisor (and, through it, the operator)."""
    print(PROGRESS_PREFIX + line, file=sys.stderr, flush=True)


def report(summaries: Sequence[RunSummary]) -> None:
    """The child's last stdout line: its runs' summaries."""
    print(json.dumps([s.to_dict() for s in summaries], ensure_ascii=False), flush=True)


def parse_report(lines: Sequence[str]) -> list[RunSummary]:
    """The summaries in a child's stdout (its last non-empty line); none if it died first."""
    last = next((line for line in reversed(lines) if line.strip()), "")
    try:
        items = json.loads(last) if last else []
        return [RunSummary(**item) for item in items] if isinstance(items, list) else []
    except (ValueError, TypeError):
        return []


def limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def die_with_parent() -> None:
    """Linux: get SIGTERM when the supervisor dies without stopping us (no orphaned crawls)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        return
    expected = os.environ.get(PARENT_PID_ENV)
    if expected and os.getppid() != int(expected):  # the parent died before prctl took effect
        os._exit(1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.child")
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--module", default=CHILD_MODULES[0], choices=CHILD_MODULES)
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    if args.memory_mb:
        limit_memory(args.memory_mb)
    die_with_parent()
    sys.argv = [args.module, *rest]
    try:
        runpy.run_module(args.module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except MemoryError:
        print(f"MemoryError: the crawl exceeded its memory limit of {args.memory_mb} MB", file=sys.stderr)
        return OUT_OF_MEMORY_EXIT
    return 0


if __name__ == "__main__":
    sys.exit(main())
