"""Recrawl named URLs of one portal: ``python -m crawler.distributed_recrawl --target URL … [crawler.run args]``.

``eduwatch recrawl --url/--document`` needs one page fetched again *the way a normal crawl
would fetch it*: some families read a document's metadata from the list (gkmlpt's article
API carries 索引号, 文号 and the attachments), so fetching the detail page alone would store a
poorer record and look like a revision. So a targeted run is a normal incremental run of the
portal's spider in which the target URLs are forced to be refetched when a list shows them;
targets no walked list reached are fetched directly at the end (labels only). Everything
else — the run row, the store, the per-portal lease taken by the caller — is the ordinary
``crawler.run`` path, with the spider class swapped for its targeted subclass.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from crawler.incremental import Verdict
from crawler.spiders import spider_for
from storage.records import ListEntry


def targeted(spider_cls: type, targets: Sequence[str]) -> type:
    """A subclass of ``spider_cls`` that refetches ``targets`` in an otherwise incremental run."""
    wanted = frozenset(targets)

    class Targeted(spider_cls):  # type: ignore[misc, valid-type]
        name = spider_cls.name
        targets = wanted

        def setup(self, crawler: Any, **parts: Any) -> None:
            super().setup(crawler, **parts)
            self._targets_sent = False
            original = self.walk.verdict

            def verdict(entry: ListEntry) -> Verdict:
                found = original(entry)
                if entry.url in self.targets and found in (Verdict.KNOWN, Verdict.REVISIT):
                    return Verdict.REFETCH
                return found

            self.walk.verdict = verdict  # type: ignore[method-assign]

        def idle_requests(self) -> list[Any]:
            """First the targets no list showed; once they are done, the usual probes."""
            if self._targets_sent:
                return super().idle_requests()
            self._targets_sent = True
            missing = sorted(url for url in self.targets if url not in self._requested)
            self._requested.update(missing)
            if missing:
                self.logger.info("%s: fetching %d target(s) no list showed", self.portal, len(missing))
                return [self.detail_request(ListEntry(url), Verdict.REFETCH, {}) for url in missing]
            return super().idle_requests()

    Targeted.__name__ = f"Targeted{spider_cls.__name__}"
    return Targeted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--target", action="append", default=[], metavar="URL")
    args, rest = parser.parse_known_args(argv)
    if not args.target:
        print("crawler.distributed_recrawl: give at least one --target URL", file=sys.stderr)
        return 2
    import crawler.run as run

    run.spider_for = lambda platform: targeted(spider_for(platform), args.target)  # type: ignore[assignment]
    return run.main(rest)


if __name__ == "__main__":
    sys.exit(main())
