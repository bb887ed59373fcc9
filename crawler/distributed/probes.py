"""Withdrawal probes for distributed runs: the lists' coverage, shared by every worker.

A local run probes the known URLs its :class:`~crawler.incremental.ListWalk` did not see,
within the range its lists covered. In a distributed run each worker's walk saw only the
pages that worker parsed, so neither its coverage nor its "seen" set is the run's:

* coverage — every worker's walk writes each list's oldest entry date and end flags into
  ``<p>:run:<id>:coverage`` as it goes (:class:`SharedListWalk`), merged as the min of the
  oldest dates and the OR of the flags: exactly what one walk over all pages would hold.
  The entries each list showed are shared too (``…:coverage:urls:<list>``), so a family that
  compares them with what the portal claims (gkmlpt: fewer = a recent window) counts them all;
* seen — every known entry a list shows is written to the database with
  ``last_listed_run_id`` (``Store.mark_listed``, and the save of a fetched document), so the
  run's listed URLs are a query.

The worker that brings the run's outstanding count to zero rebuilds one ``ListWalk`` from
both and asks it for candidates (:func:`probe_candidates`): the date-bound rules stay in
one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

import redis
from crawler.incremental import ListCoverage, ListWalk
from storage.records import ListEntry
from storage.store import Store

COVERAGE_TTL = 7 * 86400

# Merge one worker's view of a list into the run's hash: min(oldest), OR(exhausted), OR(window).
# "listed" registers the list even without a dated entry (such a list vouches for nothing).
_MERGE = """
local key, list = KEYS[1], ARGV[1]
redis.call('HSET', key, list .. '|listed', 1)
if ARGV[2] ~= '' then
  local current = redis.call('HGET', key, list .. '|oldest')
  if (not current) or tonumber(ARGV[2]) < tonumber(current) then
    redis.call('HSET', key, list .. '|oldest', ARGV[2])
  end
end
if ARGV[3] == '1' then redis.call('HSET', key, list .. '|exhausted', 1) end
if ARGV[4] == '1' then redis.call('HSET', key, list .. '|window', 1) end
redis.call('EXPIRE', key, ARGV[5])
return 1
"""


@dataclass
class SharedListWalk(ListWalk):
    """A ListWalk that also merges each list's coverage into the run's Redis hash."""

    server: redis.Redis | None = None
    coverage_key: str = ""

    def observe(self, list_key: str, entries: Iterable[ListEntry]) -> int:
        entries = list(entries)
        new_here = super().observe(list_key, entries)
        if self.server is not None:  # one round trip a list page: its entries and the merged coverage
            pipe = self.server.pipeline()
            if entries:
                pipe.sadd(self._urls_key(list_key), *{entry.url for entry in entries})
                pipe.expire(self._urls_key(list_key), COVERAGE_TTL)
            self._share(list_key, pipe)
            pipe.execute()
        return new_here

    def listed_count(self, list_key: str) -> int:
        """Distinct entries this list has shown in this run, on every worker."""
        if self.server is None:
            return super().listed_count(list_key)
        return int(self.server.scard(self._urls_key(list_key)))

    def reached_end(self, list_key: str, *, complete: bool = True) -> None:
        super().reached_end(list_key, complete=complete)
        self._share(list_key)

    def _urls_key(self, list_key: str) -> str:
        return f"{self.coverage_key}:urls:{list_key}"

    def _share(self, list_key: str, client: "redis.Redis | redis.client.Pipeline | None" = None) -> None:
        client = client if client is not None else self.server
        if client is None:
            return
        cover = self.coverage[list_key]
        oldest = str(cover.oldest.toordinal()) if cover.oldest is not None else ""
        client.eval(_MERGE, 1, self.coverage_key, list_key, oldest, int(cover.exhausted), int(cover.window),
                    COVERAGE_TTL)


def share_walk(walk: ListWalk, server: redis.Redis, coverage_key: str) -> SharedListWalk:
    """The same walk (known sources, --full, revisits, deep walk), now writing to the run's hash."""
    return SharedListWalk(walk.known, full=walk.full, revisit=walk.revisit, deep=walk.deep,
                          server=server, coverage_key=coverage_key)


def merged_coverage(server: redis.Redis, coverage_key: str) -> dict[str, ListCoverage]:
    coverage: dict[str, ListCoverage] = {}
    for raw_field, raw_value in server.hgetall(coverage_key).items():
        list_key, _, what = raw_field.decode().rpartition("|")
        cover = coverage.setdefault(list_key, ListCoverage())
        if what == "oldest":
            cover.oldest = date.fromordinal(int(raw_value))
        elif what == "exhausted":
            cover.exhausted = True
        elif what == "window":
            cover.window = True
    return coverage


def probe_candidates(store: Store, server: redis.Redis, coverage_key: str, portal: str, run_id: int) -> list[str]:
    """What a local run's walk would probe, had it seen every page the workers parsed."""
    coverage = merged_coverage(server, coverage_key)
    if not coverage:
        return []
    walk = ListWalk(store.known_sources(portal), coverage=coverage, seen=store.listed_in_run(portal, run_id))
    return walk.probe_candidates()
