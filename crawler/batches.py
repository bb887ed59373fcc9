"""Split a crawl of many portals into child processes of bounded size.

One crawl child holds one Scrapy crawler per portal (roughly 0.5–1 MB each) for its whole
life, so a single child for a province's 3,000 portals grows past any sane memory limit and,
when it hits it, takes every portal's run down with it. Crawling in batches of
``[crawl] portals_per_process`` portals, at most ``[crawl] processes`` batches at a time,
bounds the memory of each child and confines a crash to the portals of one batch.
:func:`crawler.runner.run_crawl` and :func:`monitor.jobs.crawl_portals_locked` both use this.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")


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
