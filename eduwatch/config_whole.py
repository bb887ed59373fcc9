"""Checks of the configuration as a whole: what no single key's check can see.

Why a module of its own: :mod:`eduwatch.config_checks` checks one value at a time; these
checks look across tables (a subscriber's ``portals`` against the portals) or outside the
file (the environment), and they still name the file, the line and the key.

Two kinds, run at two moments:

- :func:`check_references`: the file's own content; part of every parse.
- :func:`check_loaded`: what a *deployed* configuration needs besides: portals to watch,
  and the SMTP password in the variable ``password_env`` names. Run by ``load_config`` (every
  command, and ``eduwatch config check``) but not by ``parse_config``, so a fragment (the
  README's reference, a test's snippet) can be parsed on a machine without the secret.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from eduwatch.config_reader import ConfigError, TableReader

if TYPE_CHECKING:
    from eduwatch.config import Config


def check_references(config: Config, reader: TableReader) -> None:
    """Subscribers' ``portals`` name portals of this file; each ``regions`` prefix matches one.

    A filter that matches nothing is a subscriber silently never alerted: an error, not a
    warning, since nobody reads warnings of a daemon until alerts are missed.
    """
    names = {portal.name for portal in config.portals}
    regions = [portal.region for portal in config.portals]
    for subscriber in config.subscribers:
        where = f"subscribers[{subscriber.name}]"
        for name in subscriber.portals:
            if name not in names:
                raise reader.fail(where, "portals", f"no portal named {name!r} (known: {', '.join(sorted(names)) or 'none'})")
        for region in subscriber.regions:
            if not any(portal_region.startswith(region) for portal_region in regions):
                raise reader.fail(where, "regions", f"{region!r} is the start of no portal's region "
                                                    f"(regions: {', '.join(sorted(set(filter(None, regions)))) or 'none'})")


def check_loaded(config: Config, text: str, reader: TableReader) -> None:
    """What a configuration needs to be run: see the module docstring."""
    if not any(line.strip() and not line.strip().startswith("#") for line in text.splitlines()):
        raise ConfigError(f"{config.source}: the file is empty: a configuration names at least one [[portals]] "
                          "(see the README's configuration reference, or `eduwatch init`)")
    if not config.portals:
        raise ConfigError(f"{config.source}: no [[portals]]: there is nothing to watch "
                          "(add a [[portals]] table: name, platform and what the platform needs)")
    email = config.email
    if email.username and not email.password_env:
        raise reader.fail("alerts.email", "password_env", "required with username: the name of the environment "
                                                          "variable holding the SMTP password")
    if email.username and email.password_env and not os.environ.get(email.password_env):
        raise reader.fail("alerts.email", "password_env", f"the environment variable {email.password_env} is not "
                                                          "set (it holds the SMTP password)")
