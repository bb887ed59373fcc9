"""Run crawls in child processes: ``run_crawl(config_path, portals)`` -> list of RunSummary.

Scrapy's reactor cannot be restarted, and a crawl can leak, crash or hang; a subprocess per
crawl (about a second of start-up) isolates all three. The parent opens the runs first and
hands their ids to the child, so whatever happens to the child — a crash, a kill, a timeout —
every run ends up finished: the child's own summaries when it got that far, otherwise
``failed`` with the reason (exit status, the last lines it wrote, or the timeout).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

from crawler.batches import describe_split, memory_warning, run_batches, split_portals
from eduwatch.config import load_config
from storage.database import Database
from storage.models import CrawlRun
from storage.store import RunSummary, Store

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROGRESS_PREFIX = "[crawl] "
_TAIL_LINES = 20
# After the time limit the child closes its spiders itself (CLOSESPIDER_TIMEOUT) and records
# its runs; only a child still alive this much later is stopped (SIGTERM, then SIGKILL).
KILL_GRACE = 30.0
TERM_WAIT = 10.0


def crawl_command(config_path: str | None, portals: Sequence[str], *, full: bool, trigger: str,
                  run_ids: dict[str, int], time_limit: float | None = None) -> list[str]:
    command = [sys.executable, "-m", "crawler.run"]
    if config_path:
        command += ["--config", str(config_path)]
    if time_limit:
        command += ["--time-limit", f"{time_limit:g}"]
    if full:
        command.append("--full")
    command += ["--trigger", trigger]
    for portal, run_id in run_ids.items():
        command += ["--run-id", f"{portal}={run_id}"]
    return command + list(portals)


def run_crawl(
    config_path: str | None,
    portals: Sequence[str],
    *,
    full: bool = False,
    trigger: str = "manual",
    timeout: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[RunSummary]:
    """Crawl ``portals`` and return one summary per portal, in input order.

    The portals are crawled in child processes of at most ``[crawl] portals_per_process``
    portals each, ``[crawl] processes`` of them at a time (see :mod:`crawler.batches`); a
    child that crashes fails only its own portals' runs.
    ``timeout``: each portal's spider closes after that many seconds and its run is recorded
    as failed ("time limit reached"), keeping what it saved; a child that does not exit
    ``KILL_GRACE`` seconds later is killed and its unfinished runs are marked failed.
    Raises ConfigError for a bad file or an unknown portal, before anything runs.
    """
    config = load_config(config_path)
    wanted = [config.portal(name) for name in dict.fromkeys(portals)]
    db = Database(config.database.url)
    try:
        store = Store(db)
        store.sync_portals(wanted)
        run_ids = {p.name: store.start_run(p.name, full=full, trigger=trigger) for p in wanted}
        per_process, processes = config.crawl.portals_per_process, config.crawl.processes
        batches = split_portals(list(run_ids), per_process)
        if len(batches) > 1 and progress is not None:
            progress(describe_split(batches, per_process, processes))
        warning = memory_warning(batches, config.daemon.crawl_memory_mb)
        if warning and progress is not None:
            progress(warning)

        def crawl_batch(index: int, batch: list[str]) -> list[RunSummary]:
            batch_ids = {name: run_ids[name] for name in batch}
            outcome = _run_child(
                crawl_command(config_path, batch, full=full, trigger=trigger, run_ids=batch_ids, time_limit=timeout),
                timeout=None if timeout is None else timeout + KILL_GRACE,
                progress=progress,
            )
            reported = {s.run_id: s for s in outcome.summaries}
            summaries = []
            for portal, run_id in batch_ids.items():
                summary = reported.get(run_id) or _settle(store, db, run_id, outcome.failure_reason())
                summaries.append(summary)
                if run_id not in reported and progress is not None:
                    progress(f"{portal}: {summary.status} ({summary.reason})")
            return summaries

        return run_batches(batches, crawl_batch, processes)
    finally:
        db.dispose()


class _ChildOutcome:
    def __init__(self) -> None:
        self.returncode: int | None = None
        self.timed_out: float | None = None
        self.stdout_lines: list[str] = []
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self.summaries: list[RunSummary] = []

    def failure_reason(self) -> str:
        if self.timed_out is not None:
            return f"crawl process did not finish within {self.timed_out:g} s and was killed"
        tail = " | ".join(line for line in self.stderr_tail if line.strip())[-600:]
        status = f"crawl process exited with status {self.returncode}"
        return f"{status}: {tail}" if tail else status


def _run_child(command: list[str], *, timeout: float | None, progress: Callable[[str], None] | None) -> _ChildOutcome:
    outcome = _ChildOutcome()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONUNBUFFERED", "1")
    child = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
    )

    def read_stderr() -> None:
        assert child.stderr is not None
        for line in child.stderr:
            line = line.rstrip("\n")
            if line.startswith(PROGRESS_PREFIX):
                if progress is not None:
                    progress(line[len(PROGRESS_PREFIX):])
            else:
                outcome.stderr_tail.append(line)

    def read_stdout() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            outcome.stdout_lines.append(line.rstrip("\n"))

    readers = [threading.Thread(target=read_stderr, daemon=True), threading.Thread(target=read_stdout, daemon=True)]
    for reader in readers:
        reader.start()
    started = time.monotonic()
    try:
        outcome.returncode = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        outcome.timed_out = timeout if timeout is not None else time.monotonic() - started
        child.terminate()  # our own child, by its handle: Scrapy shuts down cleanly on SIGTERM
        try:
            outcome.returncode = child.wait(timeout=TERM_WAIT)
        except subprocess.TimeoutExpired:
            child.kill()
            outcome.returncode = child.wait()
    for reader in readers:
        reader.join(timeout=5)
    outcome.summaries = _parse_summaries(outcome.stdout_lines)
    return outcome


def _parse_summaries(lines: list[str]) -> list[RunSummary]:
    """The child's last non-empty stdout line is a JSON list of RunSummary dicts."""
    for line in reversed(lines):
        if not line.strip():
            continue
        try:
            items = json.loads(line)
        except ValueError:
            return []
        if not isinstance(items, list):
            return []
        try:
            return [RunSummary(**item) for item in items]
        except TypeError:
            return []
    return []


def _settle(store: Store, db: Database, run_id: int, reason: str) -> RunSummary:
    """A run the child did not report: keep what it recorded, else mark it failed with ``reason``."""
    with db.sessions() as session:
        run = session.get_one(CrawlRun, run_id)
        status, portal = run.status, run.portal.name
        if status != "running":
            return RunSummary(run.id, portal, run.status, run.reason, run.pages_fetched, run.docs_new,
                              run.docs_updated, run.errors)
        pages = run.pages_fetched
    return store.finish_run(run_id, status="failed", reason=reason, pages_fetched=pages, errors=[])
