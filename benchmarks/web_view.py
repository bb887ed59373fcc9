"""Benchmark — the web view at 200,000 documents: page render times and search latency.

A corpus of ``FULL_DOCS`` documents (``QUICK_DOCS`` with --quick) is written with plain INSERTs
(what the store would write: documents, sources) and indexed by the real index code
(storage.search.index, the same call the store makes per batch); 15% are built from the real
rural-education seeds (so 乡村 is common but not everywhere), the rest from everyday notice
sentences. ``DIFFED`` documents get two revisions of a seed plan (8,000 characters) with a few
edits, so their diff page computes a real diff.

Measured through the application in-process (Starlette's test client: routing, the database,
templates, the HTTP response; no network): ``/documents/{id}`` and ``/documents/{id}/diff``
for random documents, and ``/api/search`` for two-character (乡村, 教师 …) and six-character
(乡村教育振兴 …) queries: median and p95. Targets: pages < 50 ms, search p95 < 200 ms. SQLite
in a temporary file; PostgreSQL in a schema of its own (as store_ingest), dropped at the end.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import insert, select, text

from benchmarks.report import Report, at_most
from benchmarks.store_ingest import postgres_url, reset_postgres_schema
from eduwatch.config import parse_config
from storage.database import Database
from storage.models import Document, Portal, Revision, Source
from storage.search.index import index_documents

FULL_DOCS, QUICK_DOCS = 200_000, 2_000
DIFFED, QUICK_DIFFED = 200, 20
SAMPLES, QUICK_SAMPLES = 200, 30
SEARCH_SAMPLES, QUICK_SEARCH_SAMPLES = 60, 15
BATCH = 2_000
RURAL_SHARE = 0.15
PORTALS = 50
SEEDS = Path(__file__).resolve().parent.parent / "localportals" / "seeds"
SHORT_QUERIES = ["乡村", "教师", "学校", "财政", "资金"]
LONG_QUERIES = ["乡村教育振兴", "教师队伍建设", "义务教育学校", "财政资金使用", "城乡一体化发"]
EVERYDAY = [
    "为进一步规范财政资金使用管理，提高资金使用效益，现将有关事项通知如下。",
    "各乡镇人民政府、街道办事处，县直各部门：",
    "请各单位高度重视，认真组织实施，确保各项工作落到实处。",
    "本办法自印发之日起施行，由县财政局负责解释。",
    "根据《中华人民共和国政府信息公开条例》规定，现将本年度政府信息公开工作年度报告公布如下。",
    "全县共完成固定资产投资同比增长百分之六点五，重点项目建设有序推进。",
    "加强安全生产监督管理，严格落实企业主体责任，坚决遏制重特大事故发生。",
    "做好防汛抗旱工作，确保人民群众生命财产安全。",
    "推进义务教育学校标准化建设，改善办学条件。",
    "加强教师队伍建设，落实教师工资待遇保障机制。",
    "优化营商环境，深化放管服改革，提升政务服务水平。",
    "做好城乡居民基本医疗保险参保缴费工作。",
]


def _seed_lines() -> list[str]:
    lines = []
    for path in sorted(SEEDS.glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").split("\n") if len(line) > 10]
    return lines


def _portal_rows() -> list[dict[str, object]]:
    return [{"id": n + 1, "name": f"p{n}", "title": f"测试县{n}人民政府", "region": f"测试省测试市{n}县",
             "platform": "generic", "base_url": f"http://p{n}.example"} for n in range(PORTALS)]


def load_corpus(db: Database, total: int, diffed: int, seed: int = 11) -> list[int]:
    """Write ``total`` documents with sources and index entries; returns the diffed documents' ids."""
    rng = random.Random(seed)
    rural = _seed_lines()
    plan = (SEEDS / "huantai_2023_18.txt").read_text(encoding="utf-8")
    now = datetime(2026, 11, 1)
    with db.engine.begin() as connection:
        connection.execute(insert(Portal.__table__), _portal_rows())
    for start in range(0, total, BATCH):
        documents, sources = [], []
        for number in range(start + 1, min(total, start + BATCH) + 1):
            pool = rural if rng.random() < RURAL_SHARE else EVERYDAY
            body = "\n".join(rng.choice(pool) for _ in range(rng.randint(4, 16)))
            title = f"关于{rng.choice(pool)[:18]}的通知（第{number}号）"
            documents.append({"id": number, "title": title, "body": body, "content_hash": f"{number:064x}",
                              "published_date": date(2020, 1, 1) + timedelta(days=number % 2000),
                              "first_seen": now, "last_seen": now, "is_rural_plan": pool is rural,
                              "doc_no": f"测府〔2024〕{number}号", "is_abolished": False})
            sources.append({"url": f"http://p{number % PORTALS}.example/p-{number}.html", "document_id": number,
                            "portal_id": number % PORTALS + 1, "first_seen": now, "last_seen": now,
                            "missing_count": 0, "announced": True, "withdrawn": False, "change_count": 0,
                            "failed_checks": 0})
        with db.engine.begin() as connection:
            connection.execute(insert(Document.__table__), documents)
            connection.execute(insert(Source.__table__), sources)
            index_documents(connection, [d["id"] for d in documents])
    chosen = rng.sample(range(1, total + 1), diffed)
    revised = plan.replace("组建", "新组建", 1).replace("2025年", "2026年", 2) + "\n（新增）乡村教师培训经费按不低于5%列支。"
    with db.engine.begin() as connection:
        connection.execute(insert(Revision.__table__), [
            {"document_id": doc, "number": number, "created_at": now, "body": body, "attachments_text": "",
             "meta": {"title": "t"}, "content_hash": f"{doc}-{number}"}
            for doc in chosen for number, body in ((1, plan), (2, revised))
        ])
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('documents', 'id'), {total})"))
    return chosen


def _times(get: Callable[[str], int], paths: list[str]) -> list[float]:
    get(paths[0])  # warm: templates compiled, statements cached
    spent = []
    for path in paths:
        began = time.perf_counter()
        status = get(path)
        spent.append((time.perf_counter() - began) * 1000)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    return spent


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def bench_backend(report: Report, label: str, url: str, quick: bool) -> None:
    from fastapi.testclient import TestClient

    from monitor.shell.web.app import create_app

    total = QUICK_DOCS if quick else FULL_DOCS
    db = Database(url)
    began = time.perf_counter()
    diffed = load_corpus(db, total, QUICK_DIFFED if quick else DIFFED)
    report.note(f"{label}: {total:,} documents written and indexed in {time.perf_counter() - began:.0f} s")
    config = parse_config(f'[database]\nurl = "{url}"\n', source="<benchmark>")
    rng = random.Random(5)
    samples = QUICK_SAMPLES if quick else SAMPLES
    searches = QUICK_SEARCH_SAMPLES if quick else SEARCH_SAMPLES
    try:
        with TestClient(create_app(config, db)) as client:
            get = lambda path: client.get(path).status_code  # noqa: E731
            pages = {
                "document page": [f"/documents/{rng.randint(1, total)}" for _ in range(samples)],
                "diff page": [f"/documents/{rng.choice(diffed)}/diff" for _ in range(samples)],
            }
            for name, paths in pages.items():
                spent = _times(get, paths)
                report.figure(f"{label} {name} median", statistics.median(spent), "ms", target="< 50", check=at_most(50))
                report.figure(f"{label} {name} p95", _p95(spent), "ms", target="< 50", check=at_most(50))
            for name, queries in (("2-character", SHORT_QUERIES), ("6-character", LONG_QUERIES)):
                paths = [f"/api/search?q={queries[n % len(queries)]}" for n in range(searches)]
                spent = _times(get, paths)
                report.figure(f"{label} search {name} median", statistics.median(spent), "ms")
                report.figure(f"{label} search {name} p95", _p95(spent), "ms", target="< 200", check=at_most(200))
            with db.engine.connect() as connection:
                hits = connection.scalar(select(Document.id).where(Document.is_rural_plan.is_(True)).limit(1))
            report.note(f"{label}: one search answer holds 20 ranked hits with snippets (e.g. document {hits})")
    finally:
        db.dispose()


def run(report: Report, quick: bool) -> None:
    total = QUICK_DOCS if quick else FULL_DOCS
    report.note(f"{total:,} documents ({RURAL_SHARE:.0%} from the rural-education seeds), measured in-process "
                "through the application (test client: routing, database, templates)")
    with tempfile.TemporaryDirectory(prefix="eduwatch-bench-web-") as tmp:
        bench_backend(report, "sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", quick)
    url = postgres_url()
    try:
        reset_postgres_schema(url)
    except Exception as error:  # no server: say so, the SQLite figures still stand
        report.note(f"PostgreSQL skipped: {type(error).__name__}: {str(error).splitlines()[0]}")
        return
    try:
        bench_backend(report, "postgresql", url, quick)
    finally:
        reset_postgres_schema(url, create=False)


if __name__ == "__main__":
    from benchmarks.report import Report as _Report

    _report = _Report(quick=os.environ.get("EDUWATCH_BENCH_QUICK") == "1")
    _report.current = "web_view"
    run(_report, _report.quick)
    print(_report.summary())
