"""Serve synthetic portals on loopback, write the configuration that names them, and crawl them
with eduwatch in a measured child process.

Everything a crawl benchmark needs besides its own question: the server side counts and
timestamps every request it answers (so request counts come from the portals, not from the
crawler's own bookkeeping), and the crawl side reports wall time and the crawl processes'
peak resident memory: the largest child's, and the peak of their sum (``run_crawl`` splits a
crawl into children of ``[crawl] portals_per_process`` portals, ``[crawl] processes`` at a
time; ``EDUWATCH_BENCH_PROCESSES`` / ``EDUWATCH_BENCH_PORTALS_PER_PROCESS`` set those two in
every configuration written here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from localportals import Site

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class TimedLog(list):  # type: ignore[type-arg]
    """A site's request log that also remembers when each request was answered."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: object) -> None:
        self.times.append(time.monotonic())
        super().append(item)

    def clear(self) -> None:
        self.times.clear()
        super().clear()


def timed(site: Site) -> Site:
    site.log = TimedLog()
    return site


def requests_of(sites: Iterable[Site]) -> int:
    return sum(len(site.log) for site in sites)


def span_of(sites: Iterable[Site]) -> float:
    """Seconds from the first to the last request the portals answered."""
    times = [t for site in sites for t in getattr(site.log, "times", [])]
    return max(times) - min(times) if len(times) > 1 else 0.0


def first_request_at(sites: Iterable[Site]) -> float | None:
    """time.monotonic() of the first request any of ``sites`` answered (None: no request)."""
    return min((t for site in sites for t in getattr(site.log, "times", [])[:1]), default=None)


def reset_logs(sites: Iterable[Site]) -> None:
    for site in sites:
        site.reset_log()


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def write_config(
    path: Path,
    database_url: str,
    sites: Sequence[Site],
    *,
    delay: float,
    concurrency_per_host: int = 1,
    obey_robots: bool = True,
    timeout: float = 30.0,
    max_list_pages: int | None = None,
    crawl_memory_mb: int | None = None,
    freshness: bool = False,
) -> Path:
    """An eduwatch configuration for ``sites`` (they must be served already: base URLs are set).

    ``freshness=False`` turns revisits and deep walks off: the crawl benchmarks measure list
    walking and new documents, comparable across sessions; what the freshness contract adds
    per cycle is measured by :mod:`benchmarks.freshness`.
    """
    lines = [
        "[database]", f"url = {_toml_value(database_url)}", "",
        "[crawl]", f"delay = {delay!r}", f"concurrency_per_host = {concurrency_per_host}",
        f"timeout = {timeout!r}", "retries = 1", f"obey_robots = {_toml_value(obey_robots)}",
        *([f"max_list_pages = {max_list_pages}"] if max_list_pages else []),
        *([] if freshness else ['revisit_after = "0"', 'revisit_plans_after = "0"', 'deep_walk_after = "0"']),
        *_split_lines(), "",
        *(["[daemon]", f"crawl_memory_mb = {crawl_memory_mb}", ""] if crawl_memory_mb else []),
    ]
    for site in sites:
        lines.append("[[portals]]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in site.portal_config().items())
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def crawl_split() -> tuple[int, int]:
    """(portals per crawl child, children at once) that the configurations written here give."""
    from eduwatch.config import CrawlConfig

    defaults = CrawlConfig()
    per = int(os.environ.get("EDUWATCH_BENCH_PORTALS_PER_PROCESS", "").strip() or defaults.portals_per_process)
    at_once = int(os.environ.get("EDUWATCH_BENCH_PROCESSES", "").strip() or defaults.processes)
    return per, at_once


def _split_lines() -> list[str]:
    """``[crawl]`` lines for the crawl split, from the environment (unset: eduwatch's defaults)."""
    lines = []
    for key, variable in (("processes", "EDUWATCH_BENCH_PROCESSES"),
                          ("portals_per_process", "EDUWATCH_BENCH_PORTALS_PER_PROCESS")):
        value = os.environ.get(variable, "").strip()
        if value:
            lines.append(f"{key} = {int(value)}")
    return lines


@dataclass(frozen=True)
class CrawlMeasurement:
    seconds: float  # wall time of the whole crawl, process start-up included
    peak_rss_mb: float  # the largest crawl process's peak resident set (ru_maxrss of the children)
    cpu_seconds: float  # user + system CPU time of the crawl process
    summaries: list[dict[str, object]]
    started: float = 0.0  # time.monotonic() when the crawl was launched (compare with TimedLog.times)
    peak_sum_rss_mb: float = 0.0  # peak of the crawl processes' summed RSS, sampled every 0.2 s
    processes: int = 1  # crawl child processes the crawl was split into

    def total(self, field: str) -> int:
        return sum(int(s.get(field) or 0) for s in self.summaries)  # type: ignore[call-overload]

    def statuses(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for summary in self.summaries:
            counts[str(summary["status"])] = counts.get(str(summary["status"]), 0) + 1
        return counts


def measured_crawl(config_path: Path, portals: Sequence[str], *, full: bool, timeout: float) -> CrawlMeasurement:
    """``crawler.runner.run_crawl`` in a child of our own, so ru_maxrss is that crawl's alone.

    The child's RUSAGE_CHILDREN covers exactly one process, the ``crawler.run`` it spawned;
    measuring from this process would mix in every earlier crawl of the suite.
    """
    names_file = config_path.with_suffix(".portals")
    names_file.write_text("\n".join(portals), encoding="utf-8")
    command = [sys.executable, "-m", "benchmarks.portal_farm", str(config_path), str(names_file),
               "--timeout", str(timeout)] + (["--full"] if full else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    launched = time.monotonic()
    begun = time.perf_counter()
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout + 120)
    seconds = time.perf_counter() - begun
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"measured crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return CrawlMeasurement(seconds, result["peak_rss_kb"] / 1024, result["cpu_seconds"], result["summaries"],
                            launched, result.get("peak_sum_rss_kb", 0) / 1024, result.get("processes", 1))


class ChildMemory:
    """Samples the summed RSS of this process's children (the crawl children run_crawl spawns).

    ru_maxrss only gives the largest child's peak; children running side by side add up.
    """

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_sum_kb = 0
        self.pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "ChildMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            total = 0
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(stat[1]) != me:
                        continue
                    total += int(stat[21]) * os.sysconf("SC_PAGE_SIZE") // 1024  # field 24: rss in pages
                except (OSError, ValueError, IndexError):
                    continue
                self.pids.add(int(entry.name))
            self.peak_sum_kb = max(self.peak_sum_kb, total)


def _child_main(argv: Sequence[str]) -> int:
    import argparse
    import resource

    from crawler.runner import run_crawl

    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("portals_file")
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args(argv)
    portals = Path(args.portals_file).read_text(encoding="utf-8").split()
    with ChildMemory() as memory:
        summaries = run_crawl(args.config, portals, full=args.full, trigger="manual", timeout=args.timeout)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # ru_maxrss is in kB on Linux: the largest child
    print(json.dumps({"peak_rss_kb": usage.ru_maxrss, "peak_sum_rss_kb": max(memory.peak_sum_kb, usage.ru_maxrss),
                      "processes": len(memory.pids), "cpu_seconds": usage.ru_utime + usage.ru_stime,
                      "summaries": [s.to_dict() for s in summaries]}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
