"""Split a crawl of many portals into child processes of bounded size.

One crawl child holds one Scrapy crawler per portal (roughly 0.5–1 MB each) for its whole
life, so a single child for a province's 3,000 portals grows past any sane memory limit and,
when it hits it, takes every portal's run down with it. Crawling in batches of
``[crawl] portals_per_process`` portals, at most ``[crawl] processes`` batches at a time,
bounds the memory of each child and confines a crash to the portals of one batch.
:func:`crawler.runner.crawl_portals` (behind ``run_crawl`` and ``crawl_portals_locked``) uses this.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")

# Measured (benchmarks.province_scale, gkmlpt portals): a crawl child is ~100 MB before its
# first portal and ~0.5 MB more per portal; 250 portals peak at ~230 MB of RSS.
CHILD_BASE_MB = 100.0
PER_PORTAL_MB = 0.6


def split_portals(portals: Sequence[str], per_process: int) -> list[list[str]]:
    """Consecutive batches of at most ``per_process`` portals, duplicates dropped, order kept."""
    if per_process < 1:
        raise ValueError(f"portals_per_process must be at least 1, not {per_process}")
    unique = list(dict.fromkeys(portals))
    return [unique[start:start + per_process] for start in range(0, len(unique), per_process)]


def run_batches(batches: Sequence[list[str]], crawl: Callable[[int, list[str]], list[T]],
                processes: int) -> list[T]:
    """``crawl(index, batch)`` for every batch, ``processes`` at a time; results in batch order.

    Each call runs (and waits for) one child process, so threads are enough: the parent only
    waits on pipes. An exception from one batch is raised after the others have finished, so
    no child is left running unaccounted.
    """
    if len(batches) <= 1 or processes <= 1:
        return [item for index, batch in enumerate(batches) for item in crawl(index, batch)]
    with ThreadPoolExecutor(max_workers=min(processes, len(batches)), thread_name_prefix="crawl-batch") as pool:
        futures = [pool.submit(crawl, index, batch) for index, batch in enumerate(batches)]
        return [item for future in futures for item in future.result()]


def describe_split(batches: Sequence[list[str]], per_process: int, processes: int) -> str:
    """The progress line announcing a split (tests and operators read the child count here)."""
    total = sum(len(batch) for batch in batches)
    return (f"crawling {total} portals in {len(batches)} processes of at most {per_process} portals, "
            f"{min(processes, len(batches))} at a time")


def memory_needed_mb(portals: int) -> float:
    """Rough peak RSS of one crawl child of ``portals`` portals."""
    return CHILD_BASE_MB + PER_PORTAL_MB * portals


def memory_warning(batches: Sequence[list[str]], memory_mb: int | None) -> str | None:
    """A progress line when the largest child is expected to outgrow its memory limit.

    The limit applies to each child, so what matters is the batch size, not the crawl's size;
    a child over its limit closes (Scrapy MEMUSAGE) or dies (RLIMIT_AS) and fails its portals.
    """
    largest = max((len(batch) for batch in batches), default=0)
    if not memory_mb or not largest or memory_needed_mb(largest) <= memory_mb * 0.8:
        return None
    return (f"warning: a crawl process of {largest} portals needs about {memory_needed_mb(largest):.0f} MB, "
            f"close to or over its limit of {memory_mb} MB ([daemon] crawl_memory_mb): "
            f"lower [crawl] portals_per_process")
