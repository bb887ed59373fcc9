"""Crawl progress: bars on a terminal (portals done, pages, new, errors, time left), plain lines
on a pipe or with --no-progress; the lines the real crawl child writes are the ones counted."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console

from crawler.child import is_live
from crawler.runner import run_crawl

from localportals import samples
from monitor.shell.cli import main
from monitor.shell.cli.crawl_progress import BarsProgress, CrawlTally, PlainProgress, crawl_progress
from monitor.shell.cli.table import format_table
from tests.monitor.shell.test_daemon_process import write_config


def test_a_real_crawl_is_counted_from_the_child_lines(tmp_path: Path, serve_portal, sqlite_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    sites = [samples.synthetic_site(family, 6, seed=n, page_size=5) for n, family in enumerate(("trs", "generic"))]
    config = write_config(tmp_path / "c.toml", sqlite_url, [serve_portal(site).site for site in sites])
    code = main(["--config", str(config), "crawl", "--full", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 0, (out, err)
    tally = CrawlTally(total=2)
    counted = [line for line in err.splitlines() if tally.read(line)]
    assert len(counted) == 4, err  # each portal started and finished, written plainly on stderr
    assert (tally.done, tally.new, tally.failed, tally.running) == (2, 12, 0, set())
    assert tally.pages >= 12 + 4  # 12 documents and at least two list pages per portal
    assert "\x1b[" not in err + out  # no terminal codes on a pipe


class _Watcher(list):
    """Collects progress lines, asking for live counts as the terminal's bar does."""

    wants_live = True

    def __call__(self, line: str) -> None:
        self.append(line)


def test_a_long_crawl_moves_the_bar_page_by_page(tmp_path: Path, serve_portal, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    site = serve_portal(samples.synthetic_site("trs", 30, seed=3, page_size=5)).site
    config = write_config(tmp_path / "c.toml", sqlite_url, [site], delay=0.15)  # 5 s or more in all
    lines = _Watcher()
    [summary] = run_crawl(str(config), [site.name], trigger="manual", progress=lines)
    live = [line for line in lines if is_live(line)]
    assert live, lines  # the portal's counts while it ran, not only at its end
    unwatched: list[str] = []  # a watcher that draws no bar (a log, the daemon) is told none
    run_crawl(str(config), [site.name], trigger="manual", progress=unwatched.append)
    assert unwatched and not any(is_live(line) for line in unwatched)
    pages = [int(re.search(r"(\d+) pages", line)[1]) for line in live]  # type: ignore[index]
    assert pages == sorted(pages) and 0 < pages[-1] <= summary.pages_fetched and len(set(pages)) == len(pages)
    assert lines[-1].startswith(f"{site.name}: ok — ")


def test_live_counts_add_to_the_totals_until_the_portal_ends() -> None:
    tally = CrawlTally(total=2)
    for line in ("a: started (trs, run 1)", "a: running — 2 new, 0 updated, 5 pages, 0 errors",
                 "b: started (gkmlpt, run 2)", "b: running — 1 new, 1 updated, 3 pages, 1 errors",
                 "a: running — 4 new, 0 updated, 9 pages, 0 errors"):
        assert tally.read(line)
    assert tally.figures() == "12 pages · 5 new · 1 updated · 1 errors" and tally.done == 0
    tally.read("a: ok — 5 new, 0 updated, 12 pages, 0 errors")  # the final counts replace the live ones
    assert tally.figures() == "15 pages · 6 new · 1 updated · 1 errors" and tally.done == 1
    screen, plain = io.StringIO(), io.StringIO()
    with BarsProgress(1, Console(file=screen, force_terminal=True, width=160, color_system=None)) as bars:
        bars("a: started (trs, run 1)")
        bars("a: running — 2 new, 0 updated, 5 pages, 0 errors")
    PlainProgress(plain)("a: running — 2 new, 0 updated, 5 pages, 0 errors")
    assert "5 pages · 2 new" in screen.getvalue() and "a: running" not in screen.getvalue() and plain.getvalue() == ""


def test_bars_show_portals_pages_new_errors_and_time_left() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, color_system=None)
    with BarsProgress(3, console) as bars:
        bars("huilai: started (gkmlpt, run 1)")
        bars("huilai: ok — 4 new, 1 updated, 17 pages, 0 errors")
        bars("waiting for portal trs-demo: crawled by another process")
        bars("trs-demo: started (trs, run 2)")
        bars("trs-demo: failed (crawl could not run: boom)")
    text = screen.getvalue()
    assert "2/3" in text and "portals" in text and "left" in text
    assert "17 pages · 4 new · 1 updated · 0 errors · 1 not ok" in text
    assert "waiting for portal trs-demo" in text and "huilai: ok — 4 new" in text  # said above the bar


def test_plain_when_not_a_terminal_or_not_wanted() -> None:
    assert isinstance(crawl_progress(5, wanted=True, out=io.StringIO()), PlainProgress)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(crawl_progress(5, wanted=True, out=Tty()), BarsProgress)
    assert isinstance(crawl_progress(5, wanted=False, out=Tty()), PlainProgress)


def test_tables_line_up_with_chinese_and_fit_a_terminal() -> None:
    rows = [["1", "惠来县人民政府", "ok"], ["22", "qingdao", "failed"]]
    lines = format_table(["id", "portal", "status"], rows).splitlines()
    # the status column starts at the same terminal column on every row, whatever the widths
    starts = {line.index(word) + sum(1 for ch in line[:line.index(word)] if ord(ch) > 0x2E80)
              for line, word in zip(lines[2:], ("ok", "failed"))}
    assert len(starts) == 1 and lines[0].split() == ["id", "portal", "status"]
    long = format_table(["id", "at", "title"], [["7", "2026-11-23 01:42:00", "乡村教育振兴方案" * 10]], width=60)
    assert max(len(line) + sum(1 for ch in line if ord(ch) > 0x2E80) for line in long.splitlines()) <= 60
    assert "2026-11-23 01:42:00" in long  # short columns stay whole; the title wraps
