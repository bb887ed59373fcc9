"""Who holds a lease, and whether that process is still there.

A holder id names its process: ``role@host:pid:nonce:start`` (``start`` is the process's start
time in clock ticks since boot, from ``/proc/<pid>/stat``). A lease whose holder ran on this
host and is gone — its pid runs no more, is a zombie, or is now another process (the start
time differs: the pid was reused, e.g. after a container restart) — can be taken over at
once instead of after its TTL: the dead cannot renew, and waiting ten minutes for a dead
``deliver`` pass's lease held every alert back (issue 13). Holders on other hosts cannot be
checked from here; their leases still expire by TTL.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Holder:
    role: str
    host: str
    pid: int | None
    start: int | None  # process start time in clock ticks since boot; None for old-style ids

    @classmethod
    def parse(cls, holder: str) -> "Holder":
        role, _, rest = holder.partition("@")
        parts = rest.split(":")
        pid = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        start = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else None
        return cls(role, parts[0] if parts else "", pid, start)


def make_holder(role: str) -> str:
    """A holder id that tells an operator where to look: ``daemon@host:pid:1a2b3c:start``."""
    pid = os.getpid()
    start = process_start(pid)
    tail = f":{start}" if start is not None else ""
    return f"{role}@{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:6]}{tail}"[:200]


def holder_is_gone(holder: str) -> bool:
    """True when ``holder`` ran on this host and its process is certainly gone.

    Our own pid counts as alive unless the recorded start time says it was another process:
    one process holds several leases under different holder ids.
    """
    who = Holder.parse(holder)
    if who.pid is None or who.host != socket.gethostname():
        return False
    start = process_start(who.pid)
    if start is None:
        return not _exists(who.pid)
    if who.start is not None and who.start != start:
        return True  # the pid was reused by a process started later
    return _is_zombie(who.pid)


def process_start(pid: int) -> int | None:
    """The process's start time (clock ticks since boot), or None if it does not exist (or no /proc)."""
    fields = _stat(pid)
    return int(fields[19]) if fields is not None and len(fields) > 19 and fields[19].isdigit() else None


def _is_zombie(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] == "Z"


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state is the first)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
