"""Benchmark 1 — crawl overhead: eduwatch's full crawl against a bare Scrapy spider.

One gkmlpt portal of 2,000 documents on loopback, politeness delay 0. eduwatch crawls it
with ``--full`` (robots, list API, every detail page, extraction, normalisation, the store);
then the bare spider (benchmarks.bare_spider) requests exactly the URLs the portal logged for
eduwatch, in the same run, and does nothing with them. Both get the same connections per host.

Both run at the shipped default of one connection per host (the headline, 2,000 documents)
and again at 8 per host (300 documents), where latency no longer hides per-page work.
Pages per second = requests the portal answered / seconds from first to last request, both
measured on the server side. Target: eduwatch ≥ 0.7× the bare spider.

The bare spider runs with Scrapy's defaults apart from transport. eduwatch also sets
``CONCURRENT_ITEMS = 1`` (crawler.settings), which makes Scrapy itself cheaper per response,
so the bare spider is run a second time with that setting as well. The ratio against that
run is printed too: it shows only what eduwatch's own work costs (decoding, parsing,
extraction, storage, its middlewares).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.portal_farm import PROJECT_ROOT, measured_crawl, requests_of, reset_logs, span_of, timed, write_config
from benchmarks.report import Report, at_least
from crawler import settings as crawl_defaults
from localportals import PortalServer, synthetic_site

FULL_DOCS, QUICK_DOCS = 2_000, 100
PARALLEL_DOCS = 300  # the 8-connections-per-host comparison (full mode only)
FAMILY = "gkmlpt"


# Scrapy engine settings eduwatch changes from the defaults (not transport): the like-for-like run
ENGINE_SETTINGS = {"CONCURRENT_ITEMS": crawl_defaults.CONCURRENT_ITEMS}


def bare_crawl(urls: list[str], workdir: Path, per_host: int, timeout: float,
               settings: dict[str, object] | None = None) -> dict[str, object]:
    urls_file = workdir / "bare-urls.txt"
    urls_file.write_text("\n".join(urls), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), BARE_SETTINGS=json.dumps(settings or {}))
    done = subprocess.run([sys.executable, "-m", "benchmarks.bare_spider", str(urls_file),
                           "--per-host", str(per_host)], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"bare spider failed ({done.returncode}): {done.stderr[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(report: Report, n_docs: int, per_host: int, label: str) -> None:
    site = timed(synthetic_site(FAMILY, n_docs, seed=101))
    with tempfile.TemporaryDirectory(prefix="eduwatch-bench-overhead-") as tmp, PortalServer(site):
        workdir = Path(tmp)
        config = write_config(workdir / "eduwatch.toml", f"sqlite:///{workdir / 'eduwatch.db'}", [site],
                              delay=0.0, concurrency_per_host=per_host)
        crawl = measured_crawl(config, [site.name], full=True, timeout=900)
        eduwatch_requests, eduwatch_span = requests_of([site]), span_of([site])
        urls = [site.base_url_root + record.target for record in site.log]
        if crawl.statuses() != {"ok": 1} or crawl.total("docs_new") != n_docs:
            report.note(f"eduwatch crawl incomplete: {crawl.summaries}")
        reset_logs([site])
        bare = bare_crawl(urls, workdir, per_host, timeout=900)
        bare_requests, bare_span = requests_of([site]), span_of([site])
        reset_logs([site])
        bare_crawl(urls, workdir, per_host, timeout=900, settings=ENGINE_SETTINGS)
        same_requests, same_span = requests_of([site]), span_of([site])

    eduwatch_rate = eduwatch_requests / eduwatch_span
    bare_rate = bare_requests / bare_span
    report.note(f"{label}: {FAMILY} portal of {n_docs:,} documents, delay 0, {per_host} connection(s) per host, "
                f"{eduwatch_requests:,} requests each")
    report.figure(f"{label} eduwatch full crawl", eduwatch_rate, "pages/s",
                  note=f"{crawl.total('docs_new'):,} documents stored, {eduwatch_span:.1f} s first-to-last request, "
                       f"{crawl.seconds:.1f} s with process start-up; peak RSS {crawl.peak_rss_mb:.0f} MB")
    report.figure(f"{label} bare Scrapy spider, same URLs", bare_rate, "pages/s",
                  note=f"{bare_requests:,} responses, {bare_span:.1f} s; statuses {bare['statuses']}")
    report.figure(f"{label} eduwatch / bare", eduwatch_rate / bare_rate, "×", target="≥ 0.7", check=at_least(0.7))
    same_rate = same_requests / same_span
    engine = ", ".join(f"{key} = {value}" for key, value in ENGINE_SETTINGS.items())
    report.figure(f"{label} bare spider with eduwatch's {engine}", same_rate, "pages/s",
                  note=f"{same_requests:,} responses, {same_span:.1f} s")
    report.figure(f"{label} eduwatch / bare with the same Scrapy settings", eduwatch_rate / same_rate, "×",
                  note="like for like: the cost of eduwatch's own work (no target in the issue; shown so the "
                       "headline ratio cannot hide it)")


def run(report: Report, quick: bool) -> None:
    compare(report, QUICK_DOCS if quick else FULL_DOCS, 1, "1/host")
    if not quick:
        compare(report, PARALLEL_DOCS, 8, "8/host")
