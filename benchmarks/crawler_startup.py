"""How long ``crawler.run`` takes to build one portal's Scrapy crawler, for a configuration of
a given size: ``python -m benchmarks.crawler_startup PORTALS [--crawlers N]``.

The province benchmark cannot afford a real 3,000-portal crawl in the full suite, but the
part of its start-up that grows with the configuration's size can be measured directly:
this builds N crawlers exactly as crawler.run does (same settings, same spider class), against
a configuration naming PORTALS portals, and prints the seconds per crawler as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence


def fake_config(path: Path, portals: int) -> Path:
    lines = ['[database]', f'url = "sqlite:///{path.parent / "unused.db"}"', ""]
    for n in range(portals):
        host = f"127.{n // 64516}.{n // 254 % 254 + 1}.{n % 254 + 1}"
        lines += ["[[portals]]", f'name = "fleet{n:04d}"', f'title = "示范{n}县人民政府"', f'region = "示范{n}县"',
                  'platform = "gkmlpt"', f'base_url = "http://{host}:8080"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crawler_startup")
    parser.add_argument("portals", type=int)
    parser.add_argument("--crawlers", type=int, default=20)
    args = parser.parse_args(argv)

    from scrapy.crawler import CrawlerProcess

    from crawler.run import scrapy_settings
    from crawler.spiders import spider_for
    from eduwatch.config import load_config

    with tempfile.TemporaryDirectory(prefix="eduwatch-bench-startup-") as tmp:
        path = fake_config(Path(tmp) / "eduwatch.toml", args.portals)
        begun = time.perf_counter()
        config = load_config(str(path))
        parse = time.perf_counter() - begun
        process = CrawlerProcess(scrapy_settings(config, str(path), "WARNING"))
        begun = time.perf_counter()
        for _ in range(args.crawlers):
            process.create_crawler(spider_for("gkmlpt"))
        per_crawler = (time.perf_counter() - begun) / args.crawlers
    print(json.dumps({"portals": args.portals, "config_parse_s": parse, "per_crawler_s": per_crawler}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
