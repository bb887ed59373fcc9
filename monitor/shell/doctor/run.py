"""All of doctor's checks, in order; a configuration that does not load stops the rest.

The configuration comes first because every later check reads it; the others all run even
when one fails, so an operator sees every problem in one go.
"""

from __future__ import annotations

from eduwatch.config import Config, ConfigError, load_config
from eduwatch.redact import redact
from monitor.shell.doctor.channels import check_apprise, check_smtp, check_webhooks
from monitor.shell.doctor.database import check_database, check_disk
from monitor.shell.doctor.portals import check_portals
from monitor.shell.doctor.result import Check, failed, passed


def run_checks(config_path: str | None) -> list[Check]:
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return [failed("configuration", redact(str(exc)), "fix that line, then `eduwatch config check`")]
    checks = [_loaded(config), check_database(config.database.url), check_smtp(config)]
    checks += check_webhooks(config)
    checks += check_apprise(config)
    checks += check_portals(config)
    checks.append(check_disk(config.database.url))
    return checks


def _loaded(config: Config) -> Check:
    enabled = sum(1 for portal in config.portals if portal.enabled)
    return passed("configuration", f"{config.source}: loads — {len(config.portals)} portal(s) ({enabled} enabled), "
                                   f"{len(config.subscribers)} subscriber(s)")
