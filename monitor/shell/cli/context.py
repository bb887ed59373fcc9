"""What every sub-command needs: the loaded configuration and one database handle."""

from __future__ import annotations

import os
from functools import cached_property

from eduwatch.config import Config, load_config
from monitor.shell.cli.table import use_zone
from storage.database import Database


class CliContext:
    def __init__(self, config_path: str | None) -> None:
        # The path (or $EDUWATCH_CONFIG) is handed on to crawl subprocesses as it is.
        self.config_path = config_path or os.environ.get("EDUWATCH_CONFIG") or None
        self._db: Database | None = None

    @cached_property
    def config(self) -> Config:
        config = load_config(self.config_path)
        use_zone(config.display.timezone)  # every human time from here on is in [display] timezone
        return config

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.config.database.url)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
