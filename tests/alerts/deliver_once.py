"""One delivery pass in its own process (the crash test kills it between send and mark).

Usage: python -m tests.alerts.deliver_once DB_URL SMTP_PORT

With ``EDUWATCH_TEST_CRASH_AFTER_SEND=N`` in the environment the process dies (``os._exit``)
right after the N-th e-mail the server accepted and before the deliverer marks it sent: the
window the outbox design is about. The hook lives here, on the test side, as a mailer
subclass swapped into :mod:`alerts.email_lane`; production code has no test branch.
"""

from __future__ import annotations

import json
import os
import sys
from email.message import EmailMessage

from alerts import delivery, email_lane
from alerts.mailer import SmtpMailer
from storage.database import Database
from tests.alerts.conftest import make_config

CRASH_HOOK = "EDUWATCH_TEST_CRASH_AFTER_SEND"
CRASH_EXIT_CODE = 86


class CrashingMailer(SmtpMailer):
    """An SMTP mailer that kills its process after a number of accepted sends."""

    crash_after = 0  # accepted sends before the crash
    sends = 0

    def send(self, message: EmailMessage) -> None:
        super().send(message)
        CrashingMailer.sends += 1
        if CrashingMailer.sends >= self.crash_after:
            os._exit(CRASH_EXIT_CODE)


def main() -> int:
    db_url, port = sys.argv[1], int(sys.argv[2])
    if os.environ.get(CRASH_HOOK):
        CrashingMailer.crash_after = int(os.environ[CRASH_HOOK])
        email_lane.SmtpMailer = CrashingMailer  # type: ignore[misc]  # this process only
    db = Database(db_url)
    report = delivery.deliver_pending(db, make_config(db_url, port))
    print(json.dumps({"sent": report.sent, "failed": report.failed, "dead": report.dead, "skipped": report.skipped}))
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
