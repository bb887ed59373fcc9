"""Run the benchmark suite: ``python -m benchmarks [--quick] [--only NAME ...] [--list]``.

Each benchmark is a module with ``run(report, quick)``; they run one after another in this
process (crawls run in their own subprocesses), print figures as they go, and a summary at the
end. The exit status is non-zero only when a benchmark crashed: a missed target is a finding
to report, not a broken suite.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback

from benchmarks.report import Report

# name -> module; the order is the order of the list (cheap, self-contained ones first
# would be nicer for impatience, but the numbering is what the README refers to).
BENCHMARKS: dict[str, str] = {
    "crawl_overhead": "benchmarks.crawl_overhead",  # 1
    "incremental_cycle": "benchmarks.incremental_cycle",  # 2
    "province_scale": "benchmarks.province_scale",  # 3
    "store_ingest": "benchmarks.store_ingest",  # 4
    "plan_diff_classify": "benchmarks.plan_diff_classify",  # 5
    "diff_speed": "benchmarks.diff_speed",  # 5, the monitor engineer's: diff in a whole monitor pass
    "classifier_quality": "benchmarks.classifier_quality",  # 5, the classifier's precision/recall and time
    "alert_delivery": "benchmarks.alert_delivery",  # 6
    "crawl_memory": "benchmarks.crawl_memory",  # 7
    "web_view": "benchmarks.web_view",  # the web view: page render times and search latency
    "daemon_scale": "benchmarks.daemon_scale",  # 8, issue 14: the real daemon keeps N portals on schedule
    "freshness": "benchmarks.freshness",  # issue 11: changes within their bound, requests per cycle
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (< 1 minute); what CI runs")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=list(BENCHMARKS), help="run only these")
    parser.add_argument("--list", action="store_true", help="list benchmark names and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    report = Report(quick=args.quick)
    names = args.only or list(BENCHMARKS)
    started = time.perf_counter()
    # Other work on this 2-core machine skews every figure; the reader should know how busy it was.
    print(f"cpus {os.cpu_count()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    for name in names:
        report.current = name
        print(f"\n== {name}{' (quick)' if args.quick else ''}", flush=True)
        begun = time.perf_counter()
        try:
            module = importlib.import_module(BENCHMARKS[name])
            module.run(report, quick=args.quick)
        except Exception as error:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            first_line = (str(error).splitlines() or [""])[0][:300]  # the traceback above has the rest
            report.failures.append((name, f"{type(error).__name__}: {first_line}"))
        load = os.getloadavg()[0]
        print(f"  ({name} took {time.perf_counter() - begun:.1f} s; load average {load:.2f})", flush=True)
    print(report.summary())
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
