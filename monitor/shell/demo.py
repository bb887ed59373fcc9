"""``eduwatch demo``: the whole pipeline on bundled local portals, with no internet.

It serves one imitation portal per family (built from the seed documents) on 127.0.0.1,
crawls them into a scratch SQLite database, shows what was found, then revises one plan on
its portal, crawls again and shows the event, the diff and the alerts that would go out.
Every step is the real code path: the same CLI commands an operator runs.
"""

from __future__ import annotations

import json
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Sequence

from localportals import PortalServer, Site, sample_sites

DEMO_SUBSCRIBER = """
[[subscribers]]
name = "演示订阅者"
email = "demo@example.org"
events = ["new_plan", "plan_revised", "plan_abolished", "plan_withdrawn"]
"""
# The sentence the demo revises in 惠来县's plan, as a portal editor would.
REVISION = ("全面贯彻落实", "全面深入贯彻落实")


def write_config(path: Path, sites: Sequence[Site], database_url: str) -> None:
    lines = [
        "[database]", f"url = {json.dumps(database_url)}",
        "[crawl]", "delay = 0", "timeout = 10", "retries = 1",
        "[alerts.email]", 'host = "127.0.0.1"', "port = 25", 'from = "eduwatch-demo@localhost"',
    ]
    for site in sites:
        lines.append("[[portals]]")
        for key, value in site.portal_config().items():
            value = list(value) if isinstance(value, tuple) else value
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    path.write_text("\n".join(lines) + "\n" + DEMO_SUBSCRIBER, encoding="utf-8")


def revise_plan(site: Site) -> str:
    """Edit one sentence of the site's education plan and move its list date, as portals do."""
    plan = next(doc for doc in site.docs if "教育行动方案" in doc.title)
    site.edit_body(plan.id, *REVISION)
    site.touch(plan.id)
    return plan.title


def run_demo(cli: Callable[[list[str]], int], workdir: Path | None = None, say: Callable[[str], None] = print) -> int:
    """Run the demo through ``cli`` (the eduwatch entry point); returns its exit status."""
    with ExitStack() as stack:
        root = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="eduwatch-demo-")))
        root.mkdir(parents=True, exist_ok=True)
        sites = list(sample_sites().values())
        for site in sites:
            stack.enter_context(PortalServer(site))
        config = root / "eduwatch-demo.toml"
        write_config(config, sites, f"sqlite:///{root / 'demo.db'}")
        base = ["--config", str(config)]
        say(f"== {len(sites)} demo portals on 127.0.0.1; scratch database in {root}")
        steps: list[tuple[str, list[str]]] = [
            ("first crawl of every portal", ["crawl"]),
            ("what was found (plan = classified as a rural-education plan)", ["documents"]),
            ("change events", ["events"]),
        ]
        if not _run_steps(cli, base, steps, say):
            return 1
        title = revise_plan(next(s for s in sites if s.name == "huilai"))
        say(f"\n== the portal revises one sentence of 《{title[:30]}…》; crawl again")
        steps = [
            ("incremental crawl", ["crawl"]),
            ("the revision it found", ["events", "--kind", "revised"]),
            ("alerts that would go out", ["notify", "--dry-run"]),
        ]
        if not _run_steps(cli, base, steps, say):
            return 1
        if workdir:
            say(f"\n== look around: eduwatch --config {config} documents | events | diff ID | status")
        else:
            say("\n== done; the scratch directory is removed now (keep it with --workdir DIR)")
        return 0


def _run_steps(
    cli: Callable[[list[str]], int], base: list[str], steps: list[tuple[str, list[str]]], say: Callable[[str], None]
) -> bool:
    for heading, arguments in steps:
        say(f"\n== {heading}: eduwatch {' '.join(arguments)}")
        status = cli(base + arguments)
        # A crawl reports 1 when a portal is blocked; the demo includes a healthy set only.
        if status != 0:
            say(f"(eduwatch {' '.join(arguments)} exited with {status})")
            return False
    return True
