"""One delivery pass in its own process (the crash test kills it between send and mark).

Usage: python -m tests.alerts.deliver_once DB_URL SMTP_PORT
"""

from __future__ import annotations

import json
import sys

from alerts.delivery import deliver_pending
from storage.database import Database
from tests.alerts.conftest import make_config


def main() -> int:
    db_url, port = sys.argv[1], int(sys.argv[2])
    db = Database(db_url)
    report = deliver_pending(db, make_config(db_url, port))
    print(json.dumps({"sent": report.sent, "failed": report.failed, "dead": report.dead, "skipped": report.skipped}))
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
