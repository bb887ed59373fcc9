"""Which finished runs leave their walk unfinished (the next run then walks every list to its end)."""

from __future__ import annotations

from storage.database import Database
from storage.models import Portal
from storage.records import FetchError
from storage.runs import STORE_REFUSED, RunOutcome, Runs


def _portal(db: Database) -> None:
    with db.transaction() as session:
        session.add(Portal(name="huilai", title="惠来县人民政府", region="广东省", platform="gkmlpt",
                           base_url="http://www.huilai.gov.cn"))


def test_clean_failed_and_refused_runs(db: Database) -> None:
    _portal(db)
    runs = Runs(db)
    assert runs.unfinished_walk("huilai") is None  # never crawled
    ok = runs.open("huilai", full=False)
    runs.close(ok, RunOutcome(pages_fetched=3, errors=(FetchError("http://x/a", "HTTP 404"),)))
    assert runs.unfinished_walk("huilai") is None  # an error on a page is not an unfinished walk
    refused = runs.open("huilai", full=False)
    runs.close(refused, RunOutcome(pages_fetched=3, errors=(FetchError("http://x/b", f"{STORE_REFUSED}: OperationalError"),)))
    assert runs.unfinished_walk("huilai") == f"run {refused}: the store refused 1 document(s)"
    timed_out = runs.open("huilai", full=False)
    runs.close(timed_out, RunOutcome(pages_fetched=3, close_reason="closespider_timeout", time_limit=5))
    assert runs.unfinished_walk("huilai") == f"run {timed_out} ended failed"
    running = runs.open("huilai", full=False)  # the run asking: never judges itself
    assert runs.unfinished_walk("huilai") == f"run {timed_out} ended failed"
    runs.settle(running, "killed")
    assert runs.unfinished_walk("huilai") == f"run {running} ended failed"
