"""Human output in ``[display] timezone`` (default Asia/Shanghai, labelled 北京时间), --json in
UTC with Z, and cron schedules read in that zone with DST from the zone database."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest

from eduwatch.config import ConfigError, load_config, parse_config
from monitor.shell.cli import table
from monitor.shell.schedules import Schedule
from tests.monitor.json_times import assert_utc_times
from tests.monitor.shell.test_events_cli import config_path, monitored, run  # noqa: F401 (fixtures)

PORTAL = '[[portals]]\nname = "a"\nplatform = "gkmlpt"\nbase_url = "http://a.example"\n'


@pytest.fixture(autouse=True)
def beijing_again() -> Iterator[None]:
    """The display zone is process-wide (set when a command loads its config): restore it."""
    yield
    table.use_zone("Asia/Shanghai")


def _config(tmp_path: Path, extra: str) -> object:
    path = tmp_path / "c.toml"
    path.write_text('[database]\nurl = "sqlite:///x.db"\n' + PORTAL + extra, encoding="utf-8")
    return load_config(path)


def test_default_zone_is_beijing_and_labelled() -> None:
    assert table.show_time(datetime(2026, 11, 22, 17, 42)) == "2026-11-23 01:42:00"
    assert table.show_time("2026-11-22T17:42:00Z", labelled=True) == "2026-11-23 01:42:00 北京时间"
    assert table.time_header("last crawl") == "last crawl (北京时间)"
    assert table.json_time(datetime(2026, 11, 22, 17, 42)) == "2026-11-22T17:42:00Z"


def test_a_dst_zone_follows_the_zone_database() -> None:
    table.use_zone("Europe/Berlin")
    assert table.show_time(datetime(2026, 1, 15, 9, 30)) == "2026-01-15 10:30:00"  # CET
    assert table.show_time(datetime(2026, 7, 15, 9, 30)) == "2026-07-15 11:30:00"  # CEST
    assert table.time_header("at") == "at (Europe/Berlin)"


def test_an_unknown_zone_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[display\] timezone: 'Beijing' is not an IANA time zone"):
        _config(tmp_path, '[display]\ntimezone = "Beijing"\n')
    assert parse_config('[[portals]]\nname = "a"\nplatform = "gkmlpt"\nbase_url = "http://a"\n').display.timezone == "Asia/Shanghai"


def test_cron_is_read_in_beijing_time(tmp_path: Path) -> None:
    config = _config(tmp_path, '[daemon]\ndefault_schedule = "0 3 * * *"\n')
    schedule = Schedule.of(config.portals[0], config)
    assert schedule.zone == "Asia/Shanghai"
    # 03:00 in Beijing is 19:00 UTC the day before
    assert schedule.next_slot(datetime(2026, 11, 22, 12), datetime(2026, 11, 22, 12)) == datetime(2026, 11, 22, 19)


def test_cron_across_a_dst_change(tmp_path: Path) -> None:
    config = _config(tmp_path, '[display]\ntimezone = "Europe/Berlin"\n[daemon]\ndefault_schedule = "0 3 * * *"\n')
    schedule = Schedule.of(config.portals[0], config)
    before = datetime(2026, 3, 27, 12)  # Berlin moves to CEST on Sunday 29 March 2026
    saturday = schedule.next_slot(before, before)
    sunday = schedule.next_slot(saturday, saturday)
    assert (saturday, sunday) == (datetime(2026, 3, 28, 2), datetime(2026, 3, 29, 1))
    assert schedule.missed_since(datetime(2026, 3, 29, 0, 30), datetime(2026, 3, 29, 1, 0))


def test_events_table_in_the_configured_zone_and_json_in_utc(monitored: Path, capsys) -> None:  # noqa: F811
    text = monitored.read_text(encoding="utf-8")
    monitored.write_text(text + '\n[display]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    code, out, _ = run(capsys, "--config", str(monitored), "events")
    lines = out.splitlines()
    assert code == 0 and "at (Europe/Berlin)" in lines[0]
    assert "2026-11-21 10:30:00" in out, "09:30 UTC is 10:30 CET"
    code, out, _ = run(capsys, "--config", str(monitored), "events", "--json")
    assert "2026-11-21T09:30:00Z" in assert_utc_times(json.loads(out))
