"""Progress of a crawl of many portals, as the operator watching it sees it.

The crawl children speak in lines (:mod:`crawler.run` via :func:`crawler.child.progress`,
relayed by :mod:`crawler.supervisor`): ``huilai: started (gkmlpt, run 7)``, while it runs
``huilai: running — 2 new, 0 updated, 7 pages, 0 errors`` (its counts so far, every couple of
seconds) and at the end ``huilai: ok — 3 new, 0 updated, 12 pages, 0 errors``.
:class:`CrawlTally` reads them into totals (a running portal's latest counts, replaced by its
final ones); :class:`BarsProgress` draws them with rich (portals done, pages, new documents,
errors, time left) when stdout is a terminal; :class:`PlainProgress` prints the start and end
lines as they come otherwise, or with ``--no-progress``, so logs and pipes stay plain text.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from rich.console import Console

from crawler.child import is_live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

_STARTED = re.compile(r"^(?P<name>[\w.-]+): started \(")
_FINISHED = re.compile(
    r"^(?P<name>[\w.-]+): (?P<status>\w+) — (?P<new>\d+) new, (?P<updated>\d+) updated, "
    r"(?P<pages>\d+) pages, (?P<errors>\d+) errors"
)
_FAILED = re.compile(r"^(?P<name>[\w.-]+): failed \(")


@dataclass
class CrawlTally:
    """What the progress lines said so far about a crawl of ``total`` portals."""

    total: int
    running: set[str] = field(default_factory=set)
    done: int = 0
    pages: int = 0
    new: int = 0
    updated: int = 0
    errors: int = 0
    failed: int = 0
    live: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # running: pages, new, updated, errors

    def read(self, line: str) -> bool:
        """Count ``line``; False when it is not a start, live counts or an end of a portal (say it as is)."""
        if started := _STARTED.match(line):
            self.running.add(started["name"])
            return True
        finished = _FINISHED.match(line)
        if finished and finished["status"] == "running":
            counts = (int(finished["pages"]), int(finished["new"]), int(finished["updated"]), int(finished["errors"]))
            self.live[finished["name"]] = counts
            return True
        failed = None if finished else _FAILED.match(line)
        if not (finished or failed):
            return False
        name = (finished or failed)["name"]  # type: ignore[index]
        self.running.discard(name)
        self.live.pop(name, None)
        self.done += 1
        if finished:
            self.pages += int(finished["pages"])
            self.new += int(finished["new"])
            self.updated += int(finished["updated"])
            self.errors += int(finished["errors"])
        if failed or finished["status"] != "ok":  # type: ignore[index]
            self.failed += 1
        return True

    def figures(self) -> str:
        pages, new, updated, errors = (sum(counts) for counts in zip((0, 0, 0, 0), *self.live.values()))
        return (f"{self.pages + pages} pages · {self.new + new} new · {self.updated + updated} updated · "
                f"{self.errors + errors} errors" + (f" · {self.failed} not ok" if self.failed else ""))


class CrawlProgress(Protocol):
    def __call__(self, line: str) -> None: ...
    def __enter__(self) -> "CrawlProgress": ...
    def __exit__(self, *exc: object) -> None: ...


class PlainProgress:
    """Each line as it comes, on stderr (a pipe, a log file, ``--no-progress``)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out

    def __call__(self, line: str) -> None:
        if not is_live(line):  # a pipe or a log gets each portal's start and end, not its ticks
            print(line, file=self.out or sys.stderr, flush=True)

    def __enter__(self) -> "PlainProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class BarsProgress:
    """A rich progress bar over the portals, with the running totals and the time left.

    Lines that are not a portal's start or end (waiting for a lease, the split into children)
    are printed above the bar; each finished portal leaves one line there too."""

    wants_live = True  # the crawl children tell running portals' counts only to a watcher that draws them

    def __init__(self, total: int, console: Console | None = None) -> None:
        self.tally = CrawlTally(total)
        self.console = console or Console(stderr=False)
        self.bars = Progress(
            TextColumn("[bold]crawl"), BarColumn(bar_width=30), MofNCompleteColumn(), TextColumn("portals"),
            TextColumn("{task.fields[figures]}"), TextColumn("· left"), TimeRemainingColumn(),
            TextColumn("{task.fields[now]}"), console=self.console, transient=False,
        )
        self.task: TaskID | None = None

    def __call__(self, line: str) -> None:
        known = self.tally.read(line)
        if not known or not (_STARTED.match(line) or is_live(line)):
            self.bars.console.print(line, markup=False, highlight=False)
        self._update()

    def _update(self) -> None:
        if self.task is None:
            return
        running = sorted(self.tally.running)
        now = (f"· {len(running)} running: {running[0]}" + (" …" if len(running) > 1 else "")) if running else ""
        self.bars.update(self.task, completed=self.tally.done, figures=self.tally.figures(), now=now)

    def __enter__(self) -> "BarsProgress":
        self.bars.start()
        self.task = self.bars.add_task("crawl", total=self.tally.total, figures=self.tally.figures(), now="")
        return self

    def __exit__(self, *exc: object) -> None:
        self._update()
        self.bars.stop()


def crawl_progress(total: int, *, wanted: bool, out: TextIO | None = None) -> CrawlProgress:
    """Bars when ``wanted`` and stdout is a terminal; plain lines otherwise."""
    stream = out or sys.stdout
    if wanted and _is_terminal(stream):
        return BarsProgress(total, Console(file=stream))
    return PlainProgress()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
